"""The shared form reader posts what a browser would, and nothing a browser would not."""

from types import SimpleNamespace

from tests.admin_forms import form_values

PAGE = """
<form id="logout-form" method="post"><input type="hidden" name="csrfmiddlewaretoken" value="t">
<input type="hidden" name="outside" value="no"></form>
<form id="thing_form" method="post">
<input type="hidden" name="csrfmiddlewaretoken" value="t">
<input type="text" name="title" value="A &amp; B"><input name="untyped" value="u">
<input type="text" name="empty">
<input type="text" name="off" value="x" disabled>
<input type="checkbox" name="ticked" checked><input type="checkbox" name="unticked" value="1">
<input type="CHECKBOX" name="valued" value="yes" checked>
<input type="radio" name="kind" value="a"><input type="radio" name="kind" value="b" checked>
<input type="checkbox" name="_selected_action" value="1,3" checked>
<input type="checkbox" name="_selected_action" value="2,5" checked>
<input type="submit" name="_save" value="Save"><input type="file" name="upload">
<textarea name="note">
first line
&lt;b&gt;second</textarea>
<textarea name="blank">
</textarea><textarea name="locked" disabled>x</textarea>
<select name="none_chosen"><option value="first">F</option><option value="second">S</option>
</select>
<select name="skip_disabled"><option value="x" disabled>X</option><option value="y">Y</option>
</select>
<select name="chosen"><option value="">---</option><option value="7" selected>Seven</option>
</select>
<select name="no_options" required></select>
<select name="by_text"><option selected>  Two   words </option></select>
<select name="many" multiple><option value="1" selected>1</option><option value="2">2</option>
<option value="3" selected>3</option><option value="4" selected disabled>4</option></select>
<select name="one_of_many" multiple><option value="1" selected>1</option></select>
<select name="none_of_many" multiple><option value="1">1</option></select>
<select name="dead" disabled><option value="1" selected>1</option></select>
</form>
<form id="other"><input type="hidden" name="other" value="1"></form>
"""


def test_the_form_is_read_as_a_browser_posts_it():
    assert form_values(SimpleNamespace(content=PAGE.encode())) == {
        "title": "A & B",
        "untyped": "u",
        "empty": "",
        "ticked": "on",
        "valued": "yes",
        "kind": "b",
        "_selected_action": ["1,3", "2,5"],
        "note": "first line\n<b>second",
        "blank": "",
        "none_chosen": "first",
        "skip_disabled": "y",
        "chosen": "7",
        "by_text": "Two words",
        "many": ["1", "3"],
        "one_of_many": "1",
    }


def test_a_form_is_chosen_by_its_id():
    assert form_values(SimpleNamespace(content=PAGE.encode()), "other") == {"other": "1"}
