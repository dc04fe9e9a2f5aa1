"""A rollout's progress (worded in English by klepaas.k8s.rollout) said in the user's language."""

from __future__ import annotations

import pytest

from klepaas.commands.localise import rollout_message
from klepaas.k8s.rollout import rollout_state
from tests.k8s.test_rollout import _deployment, _pod

STATES = [
    (_deployment(observed=1), [], "디플로이먼트 변경이 반영되기를 기다리는 중"),
    (
        _deployment(progressing_reason="ProgressDeadlineExceeded"),
        [],
        '디플로이먼트 "api"이(가) 진행 기한을 넘겼습니다',
    ),
    (
        _deployment(available=2),
        [_pod({"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}})],
        "새 리비전의 파드 api-1: ImagePullBackOff",
    ),
    (_deployment(updated=1, total=3, available=1), [], "새 레플리카 3개 중 1개 업데이트됨"),
    (_deployment(updated=3, total=4, available=3), [], "이전 레플리카 1개 종료 대기 중"),
    (_deployment(available=2), [], "업데이트된 레플리카 3개 중 2개 사용 가능"),
    (_deployment(), [], '디플로이먼트 "api" 롤아웃 완료'),
]


@pytest.mark.parametrize(("deployment", "pods", "korean"), STATES)
def test_every_rollout_state_is_said_in_korean_and_unchanged_in_english(
    deployment: object, pods: list[object], korean: str
) -> None:
    _, _, message, _ = rollout_state(deployment, pods)  # type: ignore[arg-type]

    assert rollout_message(message, "ko") == korean
    assert rollout_message(message, "en") == message


def test_a_timed_out_rollout_says_its_last_state_in_korean_too() -> None:
    assert rollout_message("timed out after 300s: 1 of 3 new replicas updated", "ko") == (
        "300초 안에 끝나지 않았습니다: 새 레플리카 3개 중 1개 업데이트됨"
    )
    assert rollout_message('deployment "api" was deleted during the rollout', "ko") == (
        '배포 도중 디플로이먼트 "api"이(가) 삭제되었습니다'
    )
    unknown = "something the catalogue does not know"
    assert rollout_message(unknown, "ko") == unknown


def test_the_console_rollout_line_is_said_in_korean() -> None:
    from klepaas.console.progress import snapshot_line
    from klepaas.k8s.rollout import RolloutSnapshot

    snapshot = RolloutSnapshot(
        name="api", namespace="staging", revision=4, desired=3, updated=2, ready=2, available=2, total=3,
        message="2 of 3 new replicas updated",
    )

    assert snapshot_line(snapshot, "ko").plain == (
        "… 롤아웃 api (staging) rev 4: 업데이트 2/3, 준비 2, 사용 가능 2, 이전 1"
        " — 새 레플리카 3개 중 2개 업데이트됨"
    )
    assert snapshot_line(snapshot).plain == (
        "… rollout api (staging) rev 4: 2/3 updated, 2 ready, 2 available, 1 old"
        " — 2 of 3 new replicas updated"
    )
