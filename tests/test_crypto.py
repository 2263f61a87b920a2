import logging
import stat

import pytest
from cryptography.fernet import Fernet

from bot.crypto import KeyBox, SecretKeyError, key_hint, load_or_create_secret_key


def test_round_trip_and_ciphertext_hides_plaintext():
    box = KeyBox(Fernet.generate_key().decode())
    token = box.encrypt("u+abcdefgh12345678")
    assert "abcdefgh" not in token
    assert box.decrypt(token) == "u+abcdefgh12345678"
    assert "abcdef" not in repr(box)


def test_wrong_key_is_a_clear_error_not_garbage():
    token = KeyBox(Fernet.generate_key().decode()).encrypt("secret-key-1234")
    with pytest.raises(SecretKeyError, match="cannot be decrypted with the current ONCALL_SECRET_KEY"):
        KeyBox(Fernet.generate_key().decode()).decrypt(token)


def test_malformed_key_names_the_variable():
    with pytest.raises(SecretKeyError, match="ONCALL_SECRET_KEY is not a valid key"):
        KeyBox("not-a-key")


def test_generated_key_file_is_private_and_reused(tmp_path, caplog):
    path = tmp_path / "key"
    with caplog.at_level(logging.WARNING):
        first = load_or_create_secret_key(None, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "generated one into" in caplog.text and first not in caplog.text
    caplog.clear()
    assert load_or_create_secret_key(None, path) == first
    assert "generated" not in caplog.text
    assert load_or_create_secret_key("explicit", path) == "explicit"


def test_key_hint_shows_only_the_last_four():
    assert key_hint("u+abcdefgh1234") == "…1234"
    assert key_hint("short") == "…"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_others_can_read_is_refused_with_the_chmod_fix(tmp_path, mode):
    path = tmp_path / ".oncall-secret-key"
    path.write_text(Fernet.generate_key().decode() + "\n")
    path.chmod(mode)
    with pytest.raises(SecretKeyError) as err:
        load_or_create_secret_key(None, path)
    text = str(err.value)
    assert "\n" not in text and str(path) in text and f"chmod 600 {path}" in text
    assert path.read_text().strip() not in text


def test_a_private_key_file_and_an_explicit_key_are_accepted(tmp_path):
    path = tmp_path / ".oncall-secret-key"
    key = Fernet.generate_key().decode()
    path.write_text(key + "\n")
    path.chmod(0o600)
    assert load_or_create_secret_key(None, path) == key
    path.chmod(0o644)  # not read when the key is given explicitly
    assert load_or_create_secret_key("explicit", path) == "explicit"
