import pytest

from sweeplabel.resources import default_keymap, load_keymap


def test_default_keymap_has_navigation_and_undo():
    keymap = default_keymap()
    assert keymap["next_frame"][0] == "Right"
    assert keymap["undo"] == ["Ctrl+Z"]
    all_keys = [k for keys in keymap.values() for k in keys]
    assert len(all_keys) == len(set(all_keys)), "no key is bound to two actions"


def test_user_file_overrides_and_unbinds(tmp_path):
    user = tmp_path / "keymap.toml"
    user.write_text('[navigation]\nnext_frame = ["N"]\nplay_pause = []\n', encoding="utf-8")
    keymap = load_keymap(user)
    assert keymap["next_frame"] == ["N"]
    assert keymap["play_pause"] == []
    assert keymap["previous_frame"] == ["Left", "A"]


def test_bad_user_file_names_the_file(tmp_path):
    user = tmp_path / "keymap.toml"
    user.write_text('next_frme = ["N"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="keymap.toml: unknown actions"):
        load_keymap(user)
    user.write_text('next_frame = ["N"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="keymap.toml"):
        load_keymap(user)
