"""The generating process of the synthetic data: who sells what, when, at which expected rate.

Monthly expected count of a (shop, item) = item popularity x life-cycle curve x shop size x
category seasonality x trend. The monthly count is negative binomial around it (mild
overdispersion), so the oracle can compute E[clip(Y, 0, 20)] exactly from the same distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_SHOPS = 60
N_CATEGORIES = 84
N_MONTHS = 34                 # history: date_block_num 0..33 (Jan 2013 .. Oct 2015)
FORECAST_BLOCK = 34           # Nov 2015, not in sales_train
REAL_ITEMS = 22_170
REAL_TEST_ITEMS = 5_100
REAL_NEW_ITEMS = 363
TEST_CAP = 20                 # the competition clips monthly counts to [0, 20]

# Negative binomial shape: variance = mu + mu^2 / NB_SHAPE. Large = close to Poisson.
NB_SHAPE = 4.0
TREND_PER_MONTH = -0.02       # about -50 % over the 34 months (real: 131k -> 63k units a month)
POPULARITY_MU, POPULARITY_SIGMA = -1.75, 1.25   # lognormal, heavy-tailed; calibrated to ~85 % zeros
LAUNCH_PEAK, LAUNCH_DECAY = 2.5, 1.2            # extra sales in the first months after launch

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

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.item_category)

    def item_rate(self, month: int) -> np.ndarray:
        """Expected monthly count of every item in a shop of size 1 in `month` (0 if not launched)."""
        age = month - self.item_launch
        life = (1.0 + LAUNCH_PEAK * np.exp(-np.maximum(age, 0) / LAUNCH_DECAY)) * np.exp(
            -self.item_decay * np.maximum(age, 0))
        trend = np.exp(TREND_PER_MONTH * month)
        rate = self.item_popularity * life * self.season[self.item_category, month % 12] * trend
        return np.where(age >= 0, rate, 0.0)

    def shop_rate(self, month: int) -> np.ndarray:
        """Size of every shop in `month`, 0 where the shop is closed."""
        return self.shop_size * self.shop_active[month]

    def expected(self, month: int, shops: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Expected monthly count of each (shop, item) pair in `month`."""
        return self.shop_rate(month)[shops] * self.item_rate(month)[items]


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


def _season(rng: np.random.Generator) -> np.ndarray:
    """December peak for every category (stronger for gifts), plus a mild category-specific wave."""
    months = np.arange(12)
    amp = rng.uniform(0.05, 0.25, N_CATEGORIES)
    phase = rng.uniform(0, 2 * np.pi, N_CATEGORIES)
    wave = 1.0 + amp[:, None] * np.cos(2 * np.pi * months[None, :] / 12 + phase[:, None])
    december = 1.0 + rng.uniform(0.5, 1.1, N_CATEGORIES)
    wave[:, 11] *= december
    wave[:, 0] *= 0.9  # January sags after the holidays
    return wave


def make_process(rng: np.random.Generator, scale: float) -> Process:
    """Draw one world: shops, categories and round(22,170 x scale) items."""
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
    decay = rng.uniform(0.02, 0.2, n_items)
    cat_price = rng.lognormal(6.3, 0.9, N_CATEGORIES)
    price = np.round(cat_price[category] * rng.lognormal(0.0, 0.5, n_items), -1) - 1.0
    return Process(size, active, category, launch, popularity, decay, _season(rng),
                   np.maximum(price, 9.0))


def sample_counts(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Monthly counts: negative binomial with the given means (0 where the mean is 0)."""
    positive = mean > 0
    out = np.zeros(mean.shape, dtype=np.int64)
    m = mean[positive]
    out[positive] = rng.negative_binomial(NB_SHAPE, NB_SHAPE / (NB_SHAPE + m))
    return out


def expected_clipped(mean: np.ndarray, cap: int = TEST_CAP) -> np.ndarray:
    """E[min(Y, cap)] for Y negative binomial with these means, exactly from the pmf.

    E[min(Y, cap)] = sum_{y=0}^{cap-1} P(Y > y); the pmf follows the recursion
    p(y+1) = p(y) (shape + y) / (y + 1) (1 - p).
    """
    mean = np.asarray(mean, dtype=np.float64)
    p = NB_SHAPE / (NB_SHAPE + mean)
    pmf = p ** NB_SHAPE
    cdf = pmf.copy()
    total = np.zeros_like(mean)
    for y in range(cap):
        total += 1.0 - cdf
        pmf = pmf * (NB_SHAPE + y) / (y + 1) * (1.0 - p)
        cdf += pmf
    return np.maximum(total, 0.0)


def expected_clipped_unknown_popularity(base: np.ndarray, nodes: int = 48) -> np.ndarray:
    """E[min(Y, 20)] when the item's popularity is not known, only its lognormal prior.

    `base` is the expected count for popularity 1. An item first sold in the forecast month has
    left no trace in the history, so the best any forecaster can do is average over the prior
    (Gauss-Hermite quadrature in log-popularity); the realised count still uses the drawn value.
    """
    x, w = np.polynomial.hermite.hermgauss(nodes)
    popularity = np.exp(POPULARITY_MU + np.sqrt(2.0) * POPULARITY_SIGMA * x)
    values = expected_clipped(np.asarray(base, dtype=np.float64)[:, None] * popularity[None, :])
    return values @ w / np.sqrt(np.pi)


def month_prices(process: Process, month: int, items: np.ndarray) -> np.ndarray:
    """Shelf price of items in `month`: launch price, marked down as the item ages."""
    age = np.maximum(month - process.item_launch[items], 0)
    markdown = np.where(age >= 6, 0.85, 1.0) * np.where(age >= 18, 0.8, 1.0)
    return np.round(process.item_price[items] * markdown, 0)
