"""The one word for an id the model does not know, and how its result says so (no imports: the
window, the workers and the commands all read it).

Such an id is not a failure (its answer is right: there is nothing to forecast) nor a forecast;
it is counted apart from done and failed everywhere.
"""

UNKNOWN_ITEM = "unknown item"


def is_unknown_item(result) -> bool:
    """True for `Predictor.predict`'s result of an id not in the bundle's product list."""
    return isinstance(result, dict) and result.get("status") == "error"
