"""Credentials come only from the environment: a credential key in a config file is one line
naming the key, and a credential's value never appears in any output."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli_runner import run_cli

from mmbot.config import load_config, validate_document
from mmbot.core.errors import ConfigError

SECRET = "sk-live-7f3a9c2e1b"
NEEDLE = SECRET[3:]  # also caught if quoted, escaped or cut
COMMANDS = [("config", "validate"), ("config", "describe"),
            ("backtest", "run", "--data", "d.parquet", "--out", "o")]  # fmt: skip


@pytest.fixture(autouse=True)
def _no_mm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MM_CONFIG_PATH", "MM_PROFILE", "MM_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("document", "key"),
    [
        (f'api_key: "{SECRET}"\n', "api_key"),
        (f"instrument:\n  venue: SYNTH\nvenue:\n  apiSecret: {SECRET}\n", "venue.apiSecret"),
        (f"risk:\n  max_position_usd: 10.0\n  password: {SECRET}\n", "risk.password"),
        (f"exchanges:\n  - name: binance\n    token: {SECRET}\n", "exchanges.0.token"),
    ],
    ids=["top-level", "nested", "in-a-known-section", "in-a-list"],
)
@pytest.mark.parametrize("command", COMMANDS, ids=["validate", "describe", "backtest"])
def test_credential_key_is_one_line_and_its_value_is_never_shown(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    document: str,
    key: str,
    command: tuple[str, ...],
) -> None:
    config = tmp_path / "cfg.yaml"
    config.write_text(document)

    code = run_cli(*command, "--config", str(config))

    out, err = capsys.readouterr()
    assert code == 2
    assert err.splitlines() == [
        f"E_CFG_CREDENTIAL_KEY: key={key} file={config}: credentials are read only from the "
        "environment (MM_<VENUE>_API_KEY / MM_<VENUE>_API_SECRET); remove the key"
    ]
    assert NEEDLE not in out + err


def test_credential_key_in_a_profile_is_refused(tmp_path: Path) -> None:
    (tmp_path / "leaky.yaml").write_text(f"secret: {SECRET}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(None, {"MM_PROFILE": "leaky"}, profiles_dir=tmp_path)

    assert caught.value.code == "E_CFG_CREDENTIAL_KEY"
    assert NEEDLE not in caught.value.line()


def test_credential_value_reaching_validation_is_redacted() -> None:
    # e.g. a walk-forward --grid override: validated without a file to read
    with pytest.raises(ConfigError) as caught:
        validate_document({"strategy": {"api_token": SECRET}}, "grid")

    line = caught.value.line()
    assert line.startswith("E_CFG_UNKNOWN_KEY: key=strategy.api_token value=<redacted> ")
    assert NEEDLE not in line
