"""Test set-up shared by every test: offscreen Qt and a per-test user data directory."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(scope="session")
def _bundle_verdicts(tmp_path_factory):
    return tmp_path_factory.mktemp("bundle_verdicts")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch, _bundle_verdicts):
    """No test writes to the real per-user data directory. A bundle's trial run (bundle_check) is
    remembered for the session: otherwise every test loading the small bundle would pay one."""
    monkeypatch.setenv("SALESAPP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SALESAPP_BUNDLE_VERDICTS", str(_bundle_verdicts))


def _write_tiny_data(out, seed=0, shops=6, items=80, months=15):
    """Tiny 1C-schema data: items launch, decay, sell per shop with Poisson noise (model tests)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    cats = np.arange(items) % 4
    launch = rng.integers(0, months + 2, items)   # some launch after the history: cold start
    base = rng.gamma(2.0, 1.5, items) * (1 + cats)
    shop_mult = rng.uniform(0.3, 1.5, shops)
    rows = []
    for m in range(months):
        for i in np.nonzero(launch <= m)[0]:
            age = m - launch[i]
            rate = base[i] * np.exp(-0.25 * age) * (1.3 if m % 12 == 11 else 1.0)
            counts = rng.poisson(rate * shop_mult)
            for s in np.nonzero(counts)[0]:
                rows.append((f"15.{m % 12 + 1:02d}.{2013 + m // 12}", m, s, i, 100.0 + i,
                             float(counts[s])))
    pd.DataFrame(rows, columns=["date", "date_block_num", "shop_id", "item_id", "item_price",
                                "item_cnt_day"]).to_csv(out / "sales_train.csv", index=False)
    pd.DataFrame({"item_name": [f"Товар, \"{i}\"" for i in range(items)],
                  "item_id": range(items), "item_category_id": cats}).to_csv(
        out / "items.csv", index=False)
    pd.DataFrame({"item_category_name": [f"Категория {c}" for c in range(4)],
                  "item_category_id": range(4)}).to_csv(out / "item_categories.csv", index=False)
    pd.DataFrame({"shop_name": [f"Город{s} ТЦ {s}" for s in range(shops)],
                  "shop_id": range(shops)}).to_csv(out / "shops.csv", index=False)
    pairs = [(s, i) for i in range(items) for s in range(shops)]
    pd.DataFrame({"ID": range(len(pairs)), "shop_id": [p[0] for p in pairs],
                  "item_id": [p[1] for p in pairs]}).to_csv(out / "test.csv", index=False)
    return out


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory):
    """A model bundle trained once per session on tiny data (data dir: bundle_dir.parent / "data")."""
    from salesapp.commands.model_commands import train_bundle

    root = tmp_path_factory.mktemp("small_bundle")
    data = root / "data"
    try:
        from salesapp.model.synthetic import generate
        generate(data, 0.005, 0)
    except ImportError:   # the generator is not there yet: a tiny local stand-in
        _write_tiny_data(data)
    train_bundle(data, root / "bundle", seed=0, threads=1)
    return root / "bundle"


@pytest.fixture(scope="session")
def second_bundle(tmp_path_factory, small_bundle):
    """Another model on the small bundle's data, trained with another seed (another version)."""
    from salesapp.commands.model_commands import train_bundle

    out = tmp_path_factory.mktemp("second_bundle") / "bundle"
    train_bundle(small_bundle.parent / "data", out, seed=1, threads=1)
    return out


def _split_off_last_month(full, past):
    """`past`: `full` without its last month of sales (and without the forecast set)."""
    import pandas as pd

    past.mkdir()
    for f in full.iterdir():
        if f.name in ("items.csv", "item_categories.csv", "shops.csv"):
            (past / f.name).write_bytes(f.read_bytes())
    sales = pd.read_csv(full / "sales_train.csv.gz")
    last = int(sales["date_block_num"].max())
    sales[sales["date_block_num"] < last].to_csv(past / "sales_train.csv", index=False)
    return last


@pytest.fixture(scope="session")
def month_model(tmp_path_factory):
    """(bundle dir, full data dir, past data dir, F): a model trained on months 0..F-1."""
    from salesapp.commands.model_commands import train_bundle
    from salesapp.model.synthetic import generate

    root = tmp_path_factory.mktemp("accuracy")
    generate(root / "full", 0.005, 3)
    last = _split_off_last_month(root / "full", root / "past")
    train_bundle(root / "past", root / "bundle", seed=0, threads=1)
    return root / "bundle", root / "full", root / "past", last


@pytest.fixture
def data_with_bad_cell(tmp_path):
    """make(src, line, column, text) -> a copy of the data folder `src` (plain sales_train.csv)
    whose sales file holds `text` in field `column` (from 0) of `line` (as an editor counts)."""
    def make(src, line, column, text):
        bad = tmp_path / "bad"
        bad.mkdir()
        for f in src.iterdir():
            (bad / f.name).write_bytes(f.read_bytes())
        lines = (bad / "sales_train.csv").read_text().splitlines()
        cells = lines[line - 1].split(",")
        cells[column] = text
        lines[line - 1] = ",".join(cells)
        (bad / "sales_train.csv").write_text("\n".join(lines) + "\n")
        return bad
    return make


@pytest.fixture(scope="session")
def month_expected(month_model):
    """`month_model`'s grid with actual, forecast and baselines, computed with pandas alone."""
    return expected_accuracy(*month_model)


def expected_accuracy(bundle_dir, full, past, month):
    """The grid with actual, forecast and baselines, computed with pandas alone (the tests'
    independent reckoning of forecast versus actual; only the forecast is the model's)."""
    import json

    import numpy as np
    import pandas as pd

    from salesapp.model.dataset import load_dataset
    from salesapp.model.predictor import Predictor

    state = json.loads((bundle_dir / "state.json").read_text())
    aliases = {int(k): v for k, v in state["shop_aliases"].items()}
    hist = (load_dataset(past).sales.groupby(["date_block_num", "shop_id", "item_id"])
            ["item_cnt_day"].sum().clip(0, 20))
    actual = (load_dataset(full, shop_aliases=aliases).sales
              .query("date_block_num == @month").groupby(["shop_id", "item_id"])
              ["item_cnt_day"].sum())
    catalogue = set(pd.read_csv(bundle_dir / "items.csv")["item_id"])
    before = set(hist.loc[month - 1].index.get_level_values("item_id"))
    items = sorted((before | set(actual.index.get_level_values("item_id"))) & catalogue)
    grid = pd.MultiIndex.from_product([state["open_shops"], items], names=["shop_id", "item_id"])
    frame = grid.to_frame(index=False)
    frame["actual"] = actual.clip(0, 20).reindex(grid, fill_value=0).to_numpy()

    def lag(k):
        return hist.loc[month - k].reindex(grid, fill_value=0).to_numpy() \
            if month - k in hist.index.get_level_values(0) else np.zeros(len(grid))

    frame["last_month"] = lag(1)
    frame["mean_last3"] = (lag(1) + lag(2) + lag(3)) / 3
    frame["seasonal_naive"] = lag(12)
    frame["zero"] = 0.0
    frame["model"] = Predictor.load(bundle_dir).predict_pairs(frame)
    return frame


# Every QThreadPool made while a test runs, parented or not, so the guard below sees them all.
# Strong references: a parented pool whose Python wrapper was collected still runs threads.
_pools_made: list = []


def _record_thread_pools():
    """Wrap QThreadPool's constructor once so that each new pool is noted."""
    from PySide6.QtCore import QThreadPool

    if getattr(QThreadPool.__init__, "_records_pools", False):
        return
    made = QThreadPool.__init__

    def init(self, *args, **kwargs):
        made(self, *args, **kwargs)
        _pools_made.append(self)

    init._records_pools = True
    QThreadPool.__init__ = init


_record_thread_pools()

# How long a pool may take to finish the runnables it still runs when its test ends.
POOL_FINISH_MS = 5000


def _busy(pool) -> bool:
    try:
        return pool.activeThreadCount() > 0
    except RuntimeError:   # its C++ object is gone, and with it its threads
        return False


@pytest.fixture(autouse=True)
def no_dangling_pool_threads():
    """Fail a test that leaves QThreadPool threads running (napari's _dangling_qthread_pool).

    Looks at every pool made during the test, parented or not, and at the global pool. A pool still
    finishing its last runnable gets POOL_FINISH_MS to end it before the verdict.
    """
    from PySide6.QtCore import QThreadPool

    _pools_made.clear()
    yield
    pools = [*_pools_made, QThreadPool.globalInstance()]
    _pools_made.clear()
    busy = [pool for pool in pools if _busy(pool)]
    for pool in busy:
        pool.waitForDone(POOL_FINISH_MS)
    left = [pool for pool in busy if _busy(pool)]
    assert not left, f"a test left {len(left)} QThreadPool(s) with threads running"


@pytest.fixture
def store(tmp_path):
    """A fresh real job store in the test's directory, closed after the test."""
    from salesapp.store.job_store import JobStore

    s = JobStore.open(tmp_path / "store")
    yield s
    s.close()


@pytest.fixture(scope="session")
def bundled_predictor():
    """The committed default bundle (weights/), loaded once: it is part of the repository, so a
    missing one is a failure, not a skip."""
    from salesapp.model.predictor import Predictor
    from salesapp.paths import default_model_dir

    return Predictor.load(default_model_dir())


@pytest.fixture(scope="session")
def small_predictor(small_bundle):
    """The small bundle's Predictor, loaded once per session."""
    from salesapp.model.predictor import Predictor

    return Predictor.load(small_bundle)


@pytest.fixture
def shown_window(qtbot, tmp_path, small_predictor):
    """A real window on a real store (tmp_path/store) and the small model, shown offscreen with
    one runner; closed (workers stopped) after the test."""
    from salesapp.store.job_store import JobStore
    from salesapp.ui.main_window import MainWindow
    from salesapp.workers.dispatcher import PredictionDispatcher

    store = JobStore.open(tmp_path / "store")
    dispatcher = PredictionDispatcher(store, small_predictor, pool_size=1, batch_size=256)
    window = MainWindow()
    window.session.attach(store, dispatcher, small_predictor)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()
