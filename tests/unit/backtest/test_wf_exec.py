"""The Ray runner against a stand-in `ray` module: which cluster it joins or starts, whether it
shuts it down, and results in task order whatever the completion order.

The e2e test (tests/e2e/test_backtest_wf.py) runs real local Ray; joining an existing cluster
needs one, so the address handling is checked here.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

from mmbot.backtest import wf_exec
from mmbot.core.errors import MmError


class _RayError(Exception):
    pass


class _Ref:
    """An object ref: hashable, holding the finished task's value."""

    def __init__(self, value: Any) -> None:
        self.value = value


class _FakeRay(types.ModuleType):
    """Records init/shutdown; runs a remote function at once; completes tasks last first."""

    def __init__(self, init_error: Exception | None = None) -> None:
        super().__init__("ray")
        self.init_calls: list[dict[str, Any]] = []
        self.shutdowns = 0
        self._init_error = init_error
        self.exceptions = types.SimpleNamespace(RayError=_RayError)

    def is_initialized(self) -> bool:
        return False

    def init(self, **kwargs: Any) -> None:
        if self._init_error is not None:
            raise self._init_error
        self.init_calls.append(kwargs)

    def shutdown(self) -> None:
        self.shutdowns += 1

    def remote(self, function: Callable[[Any], Any]) -> Any:
        return types.SimpleNamespace(remote=lambda task: _Ref(function(task)))

    def wait(self, pending: list[Any], num_returns: int) -> tuple[list[Any], list[Any]]:
        return pending[-num_returns:], pending[:-num_returns]

    def get(self, ref: _Ref) -> Any:
        return ref.value


@pytest.fixture
def fake_ray(monkeypatch: pytest.MonkeyPatch) -> _FakeRay:
    ray = _FakeRay()
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.setattr(wf_exec, "run_task", lambda task: {"task": task})
    return ray


def test_an_address_joins_that_cluster_without_sizing_it(fake_ray: _FakeRay) -> None:
    # ray.shutdown() on exit then only disconnects this driver: the cluster keeps running.
    with wf_exec.open_runner("ray", 3, "ray://head:10001"):
        pass
    assert [call["address"] for call in fake_ray.init_calls] == ["ray://head:10001"]
    assert "num_cpus" not in fake_ray.init_calls[0]


def test_no_address_starts_local_ray_with_the_workers_and_shuts_it_down(
    fake_ray: _FakeRay,
) -> None:
    with wf_exec.open_runner("ray", 3):
        pass
    assert fake_ray.init_calls[0]["num_cpus"] == 3 and fake_ray.init_calls[0]["address"] == "local"
    assert fake_ray.shutdowns == 1


def test_results_come_in_task_order_though_they_finish_last_first(fake_ray: _FakeRay) -> None:
    done: list[None] = []
    with wf_exec.open_runner("ray", 2) as runner:
        results = runner.run(["a", "b", "c"], lambda: done.append(None))  # type: ignore[list-item]
    assert results == [{"task": "a"}, {"task": "b"}, {"task": "c"}]
    assert len(done) == 3


def test_a_startup_failure_is_one_e_wf_ray_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        sys.modules, "ray", _FakeRay(ConnectionError("Failed to connect\nmore detail"))
    )
    with pytest.raises(MmError) as caught, wf_exec.open_runner("ray", 2, "10.0.0.1:6379"):
        pass
    assert caught.value.code == "E_WF_RAY"
    assert caught.value.line() == "E_WF_RAY: ray.init failed: Failed to connect"
