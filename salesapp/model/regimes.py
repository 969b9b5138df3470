"""Named regimes of the synthetic generator: families of dynamics a model is judged across.

A model tuned on one generator learns that generator. Users train on their own sales, which no
generator describes, so accuracy is judged on the worst of these regimes (benchmarks/
bench_robustness.py). Each regime changes a few knobs of the one process in `synthetic_process`;
"default" is the generator as it has always been (byte-identical output for a seed), and every
other regime draws its extra randomness only where it differs, after the default's draws.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Regime:
    """The knobs of one family of dynamics (the defaults are the default regime's)."""

    name: str = "default"
    summary: str = "the generator's own dynamics: December peak, downward trend, mild noise"
    # monthly count ~ negative binomial: variance = mu + mu^2 / nb_shape (large: near Poisson)
    nb_shape: float = 4.0
    # seasonality: a per-category wave of amplitude U(season_amp), times U(peak_lift) + 1 in
    # peak_month (0 = January), and a sag of `after_peak` in the month after it
    season_amp: tuple[float, float] = (0.05, 0.25)
    peak_month: int = 11
    peak_lift: tuple[float, float] = (0.5, 1.1)
    after_peak: float = 0.9
    # trend: the chain's exp(trend x month) times, per category, exp(N(0, category_trend_sd) x month)
    trend: float = -0.02
    category_trend_sd: float = 0.0
    # life cycle: 1 + launch_peak exp(-age / launch_decay), times exp(-U(decay) x age)
    launch_peak: float = 2.5
    launch_decay: float = 1.2
    decay: tuple[float, float] = (0.02, 0.2)
    # promotions: an item not on promotion starts one in a month with chance promo_start, one on
    # promotion stays on it with chance promo_stay; its price is cut to U(promo_discount) of the
    # shelf price and its demand rises by (price ratio) ** -U(elasticity)
    promo_start: float = 0.0
    promo_stay: float = 0.0
    promo_discount: tuple[float, float] = (0.6, 0.85)
    elasticity: tuple[float, float] = (1.5, 3.0)
    # shops: this many more shops open (growing into their size) or close mid-history
    shop_churn: int = 0
    # shop x category affinity: each shop sells each category at lognormal(0, sigma) of its size
    affinity_sigma: float = 0.0

    @property
    def has_promotions(self) -> bool:
        """Whether items go on promotion at all."""
        return self.promo_start > 0


DEFAULT = Regime()

REGIMES: dict[str, Regime] = {r.name: r for r in (
    DEFAULT,
    replace(DEFAULT, name="overdispersed", nb_shape=0.7,
            summary="negative binomial far from Poisson (shape 0.7): bursts of sales"),
    replace(DEFAULT, name="seasonal_weak", season_amp=(0.0, 0.06), peak_lift=(0.0, 0.15),
            after_peak=1.0, summary="almost no seasonality"),
    replace(DEFAULT, name="seasonal_strong", season_amp=(0.2, 0.5), peak_lift=(1.5, 3.0),
            after_peak=0.7, summary="a December two to four times a usual month"),
    replace(DEFAULT, name="peak_september", peak_month=8, peak_lift=(0.8, 1.6), after_peak=0.85,
            summary="the peak in September (back to school), none in December"),
    replace(DEFAULT, name="short_life", launch_peak=5.0, launch_decay=0.7, decay=(0.25, 0.6),
            summary="items sell at launch and fade within months"),
    replace(DEFAULT, name="long_life", launch_peak=0.4, launch_decay=2.0, decay=(0.0, 0.03),
            summary="steady sellers: small launch peak, hardly any decay"),
    replace(DEFAULT, name="promotions", promo_start=0.06, promo_stay=0.5,
            summary="price cuts of 15-40 % for a month or more, demand elastic to price"),
    replace(DEFAULT, name="shop_churn", shop_churn=24,
            summary="a dozen shops open mid-history and grow, a dozen close"),
    replace(DEFAULT, name="trend_up", trend=0.012, category_trend_sd=0.015,
            summary="the chain grows (+1.2 % a month), categories at their own rates"),
    replace(DEFAULT, name="trend_down", trend=-0.05, category_trend_sd=0.02,
            summary="the chain shrinks fast (-5 % a month), categories at their own rates"),
    replace(DEFAULT, name="affinity", affinity_sigma=0.8,
            summary="each shop has its own mix of categories (shop x category affinity)"),
)}


def regime(name: str) -> Regime:
    """The regime of that name; ValueError naming the known ones otherwise."""
    try:
        return REGIMES[name]
    except KeyError:
        raise ValueError(f"no regime named {name!r}; the regimes are "
                         f"{', '.join(REGIMES)}") from None
