"""The generating process of the synthetic data: who sells what, when, at which expected rate.

Monthly expected count of a (shop, item) = item popularity x life-cycle curve x shop size x
category seasonality x trend (x a promotion's lift, x the shop's affinity to the category, in the
regimes that have them: `salesapp.model.regimes`). The monthly count is negative binomial around
it, so the oracle can compute E[clip(Y, 0, 20)] exactly from the same distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesapp.model.regimes import DEFAULT, Regime

N_SHOPS = 60
N_CATEGORIES = 84
N_MONTHS = 34                 # history: date_block_num 0..33 (Jan 2013 .. Oct 2015)
FORECAST_BLOCK = 34           # Nov 2015, not in sales_train
REAL_ITEMS = 22_170
REAL_TEST_ITEMS = 5_100
REAL_NEW_ITEMS = 363
TEST_CAP = 20                 # the competition clips monthly counts to [0, 20]

# The default regime's negative binomial shape: variance = mu + mu^2 / NB_SHAPE.
NB_SHAPE = DEFAULT.nb_shape
POPULARITY_MU, POPULARITY_SIGMA = -1.75, 1.25   # lognormal, heavy-tailed; calibrated to ~85 % zeros
# A shop opened mid-history (regime shop_churn) starts at this share below its size, growing
# into it over about RAMP_MONTHS: a new shop's first months understate what it will sell.
RAMP_DEFICIT, RAMP_MONTHS = 0.7, 3.0

# Shops: (first month, last month) of activity; every other shop is open throughout.
# 0/57, 1/58 and 10/11 are the same shop under two ids, active in months that never overlap.
SHOP_SPANS = {0: (0, 1), 57: (2, 34), 1: (0, 1), 58: (2, 34), 11: (25, 25),
              8: (0, 3), 13: (0, 17), 17: (0, 23), 23: (0, 3), 27: (0, 32), 29: (0, 21),
              30: (0, 15), 32: (0, 6), 33: (0, 27), 40: (0, 12), 43: (0, 21), 51: (0, 20),
              54: (0, 27), 36: (33, 34), 39: (14, 34), 48: (20, 34), 34: (5, 34), 49: (24, 34)}
EVENT_SHOPS = {9: (9, 21, 27, 33), 20: (21, 33)}   # only ran sale events: a few lone months
BIG_SHOPS = {31: 4.0, 25: 3.0, 28: 2.5, 42: 2.0, 54: 1.8, 12: 1.5}


@dataclass
class Process:
    """Every parameter of one synthetic world (arrays indexed by shop, item, category, month)."""

    shop_size: np.ndarray       # (shops,)
    shop_active: np.ndarray     # (months + 1, shops) bool, the forecast month included
    item_category: np.ndarray   # (items,)
    item_launch: np.ndarray     # (items,) month of first sale; may be < 0 (older catalogue)
    item_popularity: np.ndarray  # (items,)
    item_decay: np.ndarray      # (items,) monthly decay rate of the life cycle
    season: np.ndarray          # (categories, 12) multiplier by month of year
    item_price: np.ndarray      # (items,) launch price
    regime: Regime = DEFAULT
    category_trend: np.ndarray | None = None   # (categories,) extra monthly log-trend
    promo: np.ndarray | None = None            # (months + 1, items) bool: on promotion
    promo_price: np.ndarray | None = None      # (items,) price factor while on promotion
    promo_lift: np.ndarray | None = None       # (items,) demand factor while on promotion
    shop_ramp: np.ndarray | None = None        # (months + 1, shops) growth of new shops
    affinity: np.ndarray | None = None         # (shops, categories) demand factor

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.item_category)

    def item_rate(self, month: int) -> np.ndarray:
        """Expected monthly count of every item in a shop of size 1 in `month` (0 if not launched)."""
        r = self.regime
        age = month - self.item_launch
        life = (1.0 + r.launch_peak * np.exp(-np.maximum(age, 0) / r.launch_decay)) * np.exp(
            -self.item_decay * np.maximum(age, 0))
        trend = np.exp(r.trend * month)
        if self.category_trend is not None:
            trend = trend * np.exp(self.category_trend[self.item_category] * month)
        rate = self.item_popularity * life * self.season[self.item_category, month % 12] * trend
        if self.promo is not None:
            rate = rate * np.where(self.promo[month], self.promo_lift, 1.0)
        return np.where(age >= 0, rate, 0.0)

    def shop_rate(self, month: int) -> np.ndarray:
        """Size of every shop in `month`, 0 where the shop is closed."""
        rate = self.shop_size * self.shop_active[month]
        return rate if self.shop_ramp is None else rate * self.shop_ramp[month]

    def mean_grid(self, month: int, shops: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Expected monthly counts of shops x items in `month` (a shops-by-items matrix)."""
        mean = np.outer(self.shop_rate(month)[shops], self.item_rate(month)[items])
        if self.affinity is not None:
            mean *= self.affinity[np.ix_(shops, self.item_category[items])]
        return mean

    def expected(self, month: int, shops: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Expected monthly count of each (shop, item) pair in `month`."""
        mean = self.shop_rate(month)[shops] * self.item_rate(month)[items]
        if self.affinity is not None:
            mean = mean * self.affinity[shops, self.item_category[items]]
        return mean

    def promo_chance(self, month: int, items: np.ndarray) -> np.ndarray:
        """Chance that each item is on promotion in `month`, knowing the months before it."""
        r = self.regime
        if self.promo is None:
            return np.zeros(len(items))
        chance = np.where(self.promo[month - 1, items], r.promo_stay, r.promo_start)
        return np.where(self.item_launch[items] < month, chance, 0.0)


def _shops(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    size = rng.lognormal(0.0, 0.45, N_SHOPS)
    for sid, factor in BIG_SHOPS.items():
        size[sid] *= factor
    active = np.ones((N_MONTHS + 1, N_SHOPS), dtype=bool)
    for sid, (first, last) in SHOP_SPANS.items():
        active[:, sid] = False
        active[first:last + 1, sid] = True
    active[25, 10] = False   # shop 10 sold as shop 11 that month
    for sid, months in EVENT_SHOPS.items():
        active[:, sid] = False
        active[list(months), sid] = True
        size[sid] = 2.0      # a sale event moves a lot of goods in one month
    return size, active


def _season(rng: np.random.Generator, r: Regime = DEFAULT) -> np.ndarray:
    """A peak month for every category (December by default, stronger for gifts), plus a
    category-specific wave."""
    months = np.arange(12)
    amp = rng.uniform(*r.season_amp, N_CATEGORIES)
    phase = rng.uniform(0, 2 * np.pi, N_CATEGORIES)
    wave = 1.0 + amp[:, None] * np.cos(2 * np.pi * months[None, :] / 12 + phase[:, None])
    peak = 1.0 + rng.uniform(*r.peak_lift, N_CATEGORIES)
    wave[:, r.peak_month] *= peak
    wave[:, (r.peak_month + 1) % 12] *= r.after_peak  # January sags after the holidays
    return wave


def _promotions(rng: np.random.Generator, r: Regime, launch: np.ndarray):
    """(on promotion: months + 1 x items, price factor, demand factor): a Markov chain per item,
    from its second month on sale."""
    n = len(launch)
    on = np.zeros((N_MONTHS + 1, n), dtype=bool)
    for month in range(N_MONTHS + 1):
        draw = rng.random(n)
        before = on[month - 1] if month else np.zeros(n, dtype=bool)
        on[month] = (draw < np.where(before, r.promo_stay, r.promo_start)) & (launch < month)
    price = rng.uniform(*r.promo_discount, n)
    lift = price ** -rng.uniform(*r.elasticity, n)
    return on, price, lift


def _churn(rng: np.random.Generator, r: Regime, active: np.ndarray):
    """Half of `shop_churn` ordinary shops open mid-history (growing into their size), half close;
    none opens in the forecast month, which no model could know. (active, growth factor)."""
    special = {*SHOP_SPANS, *EVENT_SHOPS, *BIG_SHOPS, 10, 11, 12}
    plain = np.array([s for s in range(N_SHOPS) if s not in special])
    picked = rng.choice(plain, size=min(r.shop_churn, len(plain)), replace=False)
    opening, closing = picked[: len(picked) // 2], picked[len(picked) // 2:]
    ramp = np.ones((N_MONTHS + 1, N_SHOPS))
    months = np.arange(N_MONTHS + 1)
    for sid, first in zip(opening, rng.integers(4, N_MONTHS - 1, len(opening))):
        active[:first, sid] = False
        ramp[:, sid] = 1.0 - RAMP_DEFICIT * np.exp(-np.maximum(months - first, 0) / RAMP_MONTHS)
    for sid, last in zip(closing, rng.integers(4, N_MONTHS - 1, len(closing))):
        active[last + 1:, sid] = False
    return active, ramp


def make_process(rng: np.random.Generator, scale: float, regime: Regime = DEFAULT) -> Process:
    """Draw one world of the regime: shops, categories and round(22,170 x scale) items."""
    r = regime
    n_items = max(round(REAL_ITEMS * scale), 50)
    n_new = max(round(REAL_NEW_ITEMS * scale), 1)
    size, active = _shops(rng)
    cat_weight = rng.dirichlet(np.full(N_CATEGORIES, 0.6))
    category = rng.choice(N_CATEGORIES, size=n_items, p=cat_weight)
    # An older catalogue (launched before the history) plus a steady flow of launches.
    launch = rng.integers(0, N_MONTHS, n_items)
    old = rng.random(n_items) < 0.45
    launch[old] = rng.integers(-18, 0, old.sum())
    new = rng.choice(n_items, size=n_new, replace=False)
    launch[new] = FORECAST_BLOCK
    popularity = rng.lognormal(POPULARITY_MU, POPULARITY_SIGMA, n_items)
    decay = rng.uniform(*r.decay, n_items)
    cat_price = rng.lognormal(6.3, 0.9, N_CATEGORIES)
    price = np.round(cat_price[category] * rng.lognormal(0.0, 0.5, n_items), -1) - 1.0
    process = Process(size, active, category, launch, popularity, decay, _season(rng, r),
                      np.maximum(price, 9.0), regime=r)
    # the regimes' own draws come after the default's, so the default stays byte-identical
    if r.category_trend_sd > 0:
        process.category_trend = rng.normal(0.0, r.category_trend_sd, N_CATEGORIES)
    if r.has_promotions:
        process.promo, process.promo_price, process.promo_lift = _promotions(rng, r, launch)
    if r.shop_churn:
        process.shop_active, process.shop_ramp = _churn(rng, r, active)
    if r.affinity_sigma > 0:
        s = r.affinity_sigma
        process.affinity = rng.lognormal(-s * s / 2, s, (N_SHOPS, N_CATEGORIES))
    return process


def sample_counts(rng: np.random.Generator, mean: np.ndarray,
                  shape: float = NB_SHAPE) -> np.ndarray:
    """Monthly counts: negative binomial with the given means (0 where the mean is 0)."""
    positive = mean > 0
    out = np.zeros(mean.shape, dtype=np.int64)
    m = mean[positive]
    out[positive] = rng.negative_binomial(shape, shape / (shape + m))
    return out


def expected_clipped(mean: np.ndarray, cap: int = TEST_CAP,
                     shape: float = NB_SHAPE) -> np.ndarray:
    """E[min(Y, cap)] for Y negative binomial with these means, exactly from the pmf.

    E[min(Y, cap)] = sum_{y=0}^{cap-1} P(Y > y); the pmf follows the recursion
    p(y+1) = p(y) (shape + y) / (y + 1) (1 - p).
    """
    mean = np.asarray(mean, dtype=np.float64)
    p = shape / (shape + mean)
    pmf = p ** shape
    cdf = pmf.copy()
    total = np.zeros_like(mean)
    for y in range(cap):
        total += 1.0 - cdf
        pmf = pmf * (shape + y) / (y + 1) * (1.0 - p)
        cdf += pmf
    return np.maximum(total, 0.0)


def expected_clipped_unknown_popularity(base: np.ndarray, nodes: int = 48,
                                        shape: float = NB_SHAPE) -> np.ndarray:
    """E[min(Y, 20)] when the item's popularity is not known, only its lognormal prior.

    `base` is the expected count for popularity 1. An item first sold in the forecast month has
    left no trace in the history, so the best any forecaster can do is average over the prior
    (Gauss-Hermite quadrature in log-popularity); the realised count still uses the drawn value.
    """
    x, w = np.polynomial.hermite.hermgauss(nodes)
    popularity = np.exp(POPULARITY_MU + np.sqrt(2.0) * POPULARITY_SIGMA * x)
    values = expected_clipped(np.asarray(base, dtype=np.float64)[:, None] * popularity[None, :],
                              shape=shape)
    return values @ w / np.sqrt(np.pi)


def month_prices(process: Process, month: int, items: np.ndarray) -> np.ndarray:
    """Shelf price of items in `month`: launch price, marked down as the item ages (and cut while
    on promotion)."""
    age = np.maximum(month - process.item_launch[items], 0)
    markdown = np.where(age >= 6, 0.85, 1.0) * np.where(age >= 18, 0.8, 1.0)
    if process.promo is not None:
        markdown = markdown * np.where(process.promo[month, items], process.promo_price[items], 1.0)
    return np.round(process.item_price[items] * markdown, 0)
