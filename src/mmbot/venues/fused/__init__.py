"""The fused replay: a one-leg backtest on the simulator as one compiled loop (issue 20).

`replay.fused_replay` is what node.build_engine hands Engine.run; `loop` is the compiled
twin of Engine.step for that case, `parts` adapts each package's compiled twin (strategy/,
risk/, engine/) to the loop, `setup` packs an engine into arrays, `layout` names the loop's
registers. docs/PERFORMANCE.md ("The fused replay") says what it serves and what it bought.
"""

from mmbot.venues.fused.replay import fused_replay

__all__ = ["fused_replay"]
