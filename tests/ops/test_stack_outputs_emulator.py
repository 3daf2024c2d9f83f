"""Operator commands reach an emulator environment with the emulator's own dummy credentials."""

from __future__ import annotations

from localaws import DUMMY_CREDENTIALS
from ops.stack_outputs import AwsTarget, emulator_credentials


def test_emulator_envs_use_dummy_credentials_and_real_envs_none(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEYSHOULDNOTLEAK")
    assert emulator_credentials(None) == {}
    assert emulator_credentials("http://127.0.0.1:4599") == DUMMY_CREDENTIALS
    client = AwsTarget("us-east-1", "http://127.0.0.1:4599").client("s3")
    assert client.meta.endpoint_url == "http://127.0.0.1:4599"
    assert client._request_signer._credentials.access_key == DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"]
