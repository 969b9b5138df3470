from salesapp.errors import InputError


def test_input_error_names_file_line_and_column():
    err = InputError("'abc' is not a whole number", "ids.csv", line=3, column="item_id")
    assert str(err) == "ids.csv, line 3, column 'item_id': 'abc' is not a whole number."


def test_input_error_without_location_is_just_the_sentence():
    assert str(InputError("no ids given.")) == "no ids given."
