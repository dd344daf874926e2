"""An instance's HA role in the live runner: poll the lease before every decision, act on
what changed, and say whether this instance quotes (engine/live.py's Leadership port).

On election the instance claims the new token as its order epoch (every client id it sends
from now on carries it) and cancels every order it still knows of from an earlier epoch
before it quotes; on a step-down it cancels what rests at once, while the lease is still
valid for the others. A standby lets its venue catch up (reports, market data) and decides
nothing.

On a real venue (canary, live) the venue cannot check a token, so the election also makes
the venue ours (`VenueTakeover`, the live bridge): it cancels the venue's open orders of
older epochs - a dead leader's too, read from the venue - and arms the dead-man switch;
the bridge's quote block holds quoting until that is done. A step-down hands the switch to
the next leader. A take-over that fails stops this instance quoting for the run; holding the
lease would also keep every healthy standby out, so the instance withdraws: it cancels what
it rests, releases the lease and never contends again.
"""

from __future__ import annotations

from typing import Protocol

from mmbot.engine.loop import Engine
from mmbot.engine.orders import ClientSeqs
from mmbot.ha.fence import ActionLog
from mmbot.ha.lease import Change, LeaderLease


class VenueTakeover(Protocol):
    """What an election and a step-down do at a real venue (venues/bridge)."""

    def take_over(self, epoch: int) -> None:
        """Start canceling the venue's orders of older epochs and arming its dead-man switch;
        quoting is blocked until done."""
        ...

    def stand_by(self) -> None:
        """Leave the venue's dead-man switch and the others' orders to the next leader."""
        ...

    @property
    def takeover_failed(self) -> bool:
        """Return whether a take-over failed (quoting is stopped for the run)."""
        ...


class LeaderRole:
    """The runner's Leadership over one lease (and, on a real venue, its take-over)."""

    def __init__(self, lease: LeaderLease, log: ActionLog,
                 venue: VenueTakeover | None = None) -> None:  # fmt: skip
        self.lease = lease
        self.log = log
        self.venue = venue
        self.withdrawn = False

    @property
    def elections_total(self) -> int:
        """Return how many times this instance was elected."""
        return self.lease.elections_total

    def on_decision(self, engine: Engine) -> bool:
        """Poll the lease; claim the epoch on election, cancel on step-down; return whether
        this instance quotes at this decision."""
        if self.withdrawn:
            return False
        if self.venue is not None and self.venue.takeover_failed and self.lease.is_leader:
            self._withdraw(engine)
            return False
        change = self.lease.poll()
        if change is Change.ELECTED:
            self.log.write("elected", self.lease.token)
            for seqs in _distinct_seqs(engine):
                seqs.claim_epoch(self.lease.token)
            engine.cancel_all()  # what an earlier leadership of ours left resting
            if self.venue is not None:
                self.venue.take_over(self.lease.token)
        elif change is Change.STEPPED_DOWN:
            self.log.write("stepped_down", self.lease.token, why=self.lease.last_error)
            engine.cancel_all()
            if self.venue is not None:
                self.venue.stand_by()
        return self.lease.may_send()

    def _withdraw(self, engine: Engine) -> None:
        """Leave the election for good after a failed take-over (see the module docstring)."""
        self.log.write("withdrew", self.lease.token, why="E_HA_TAKEOVER failed")
        engine.cancel_all()
        self.lease.release()
        self.withdrawn = True

    def release(self) -> None:
        """Give the lease up after the runner's shutdown cancels; close the log."""
        if self.lease.is_leader:
            self.log.write("released", self.lease.token)
        self.lease.release()
        self.log.close()


def _distinct_seqs(engine: Engine) -> list[ClientSeqs]:
    """Return each port's order numbers once (the legs of a symbol share them)."""
    seen: dict[int, ClientSeqs] = {}
    for leg in engine.legs:
        seqs = leg.orders.seqs
        seen.setdefault(id(seqs), seqs)
    return list(seen.values())
