"""A broker outage costs a delay, not a 500: work a sweeper redoes is left to it."""

import logging
import socket

from celery import Celery

from common.tasks import task_send_or_leave_to_sweeper


def _app_with_a_dead_broker(monkeypatch) -> Celery:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    url = f"amqp://guest:guest@127.0.0.1:{port}//"
    monkeypatch.setenv("CELERY_BROKER_URL", url)  # Celery lets this variable win
    app = Celery("dead", broker=url, set_as_current=False)
    app.conf.broker_connection_timeout = 1
    return app


def test_a_task_the_broker_cannot_take_is_left_to_its_sweeper(caplog, monkeypatch) -> None:
    app = _app_with_a_dead_broker(monkeypatch)

    @app.task(name="tests.sweepable")
    def sweepable(*, asset_id: int) -> None: ...

    with caplog.at_level(logging.WARNING, logger="common.tasks"):
        assert task_send_or_leave_to_sweeper(sweepable, asset_id=1) is False
    assert "tests.sweepable left to its sweeper" in caplog.text


def test_a_task_the_broker_takes_is_sent() -> None:
    sent: list[dict[str, int]] = []

    class Task:
        name = "tests.fine"

        def delay(self, **kwargs: int) -> None:
            sent.append(kwargs)

    assert task_send_or_leave_to_sweeper(Task(), asset_id=2) is True
    assert sent == [{"asset_id": 2}]
