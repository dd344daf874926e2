"""The book a config describes: its instruments and its strategies, resolved to plain values.

A config without `portfolio` and `strategies` is a portfolio of one: the `instrument` section
quoted by the `strategy` section's model, whose id is the model's name (or the id the caller
gives). With them, each strategy entry is the `strategy` section with the entry's model and
parameters laid over it. Everything downstream (engine, reports, live modes) reads the book
from here, never from the sections themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from mmbot.config.schema import (
    InstrumentConfig,
    MmConfig,
    PortfolioInstrumentConfig,
    StrategyConfig,
)


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """One symbol of the book: the venue's grid and minimums, its data file and its caps."""

    symbol: str
    venue: str
    tick_size: float
    lot_size: float
    min_qty_lots: int
    min_notional_usd: float
    max_position_usd: float
    max_skew_usd: float
    data: str | None = None


@dataclass(frozen=True, slots=True)
class StrategySpec:
    """One strategy of the book: its id, the symbols it quotes, its resolved parameters."""

    id: str
    symbols: tuple[str, ...]
    config: StrategyConfig


@dataclass(frozen=True, slots=True)
class BookSpec:
    """The instruments (config order) and strategies (config order) of a config."""

    instruments: tuple[InstrumentSpec, ...]
    strategies: tuple[StrategySpec, ...]
    # The config has a `portfolio` or `strategies` section: the book-wide caps and reports apply.
    is_portfolio: bool

    @property
    def symbols(self) -> tuple[str, ...]:
        """Return the symbols, in config order."""
        return tuple(instrument.symbol for instrument in self.instruments)

    def instrument(self, symbol: str) -> InstrumentSpec:
        """Return the instrument of symbol."""
        for instrument in self.instruments:
            if instrument.symbol == symbol:
                return instrument
        raise KeyError(symbol)

    def strategies_of(self, symbol: str) -> tuple[StrategySpec, ...]:
        """Return the strategies that quote symbol, in config order."""
        return tuple(spec for spec in self.strategies if symbol in spec.symbols)

    @property
    def legs(self) -> int:
        """Return how many (strategy, symbol) pairs the book quotes."""
        return sum(len(spec.symbols) for spec in self.strategies)


def _instrument(section: InstrumentConfig, cfg: MmConfig) -> InstrumentSpec:
    own = section if isinstance(section, PortfolioInstrumentConfig) else None
    return InstrumentSpec(
        symbol=section.symbol,
        venue=section.venue,
        tick_size=section.tick_size,
        lot_size=section.lot_size,
        min_qty_lots=section.min_qty_lots,
        min_notional_usd=section.min_notional_usd,
        max_position_usd=(own and own.max_position_usd) or cfg.risk.max_position_usd,
        max_skew_usd=(own and own.max_skew_usd) or cfg.risk.max_skew_usd,
        data=own.data if own else None,
    )


def book_of(cfg: MmConfig, strategy_id: str | None = None) -> BookSpec:
    """Return the book of cfg; strategy_id renames a portfolio of one's strategy."""
    sections = (cfg.instrument,) if cfg.portfolio is None else cfg.portfolio.instruments
    instruments = tuple(_instrument(section, cfg) for section in sections)
    if cfg.strategies is None:
        strategies: tuple[StrategySpec, ...] = (
            StrategySpec(strategy_id or cfg.strategy.model, (cfg.instrument.symbol,), cfg.strategy),
        )
    else:
        if strategy_id is not None:
            raise ValueError(f"strategy_id={strategy_id!r}: the config names its strategies")
        strategies = tuple(
            StrategySpec(
                entry.id,
                entry.symbols,
                StrategyConfig.model_validate(
                    {
                        **cfg.strategy.model_dump(),
                        **entry.params.model_dump(exclude_none=True),
                        "model": entry.model,
                    }
                ),
            )
            for entry in cfg.strategies
        )
    is_portfolio = cfg.portfolio is not None or cfg.strategies is not None
    return BookSpec(instruments, strategies, is_portfolio)
