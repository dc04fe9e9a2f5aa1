"""The safety tables (0003_safety) on SQLite and PostgreSQL: run-time grants and bindings, the
deployment history, approval guards, encrypted secrets, and attempts orphaned by a killed process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from klepaas.errors import ConfigError
from klepaas.storage import Storage
from klepaas.storage.audit_export import iter_audit
from klepaas.storage.models import current_runner
from klepaas.storage.orphans import mark_orphaned
from klepaas.storage.policy_store import ApprovalGuards, DeploymentLog, PolicyStore, SecretStore


@pytest.fixture
def storage(database_url: str) -> Iterator[Storage]:
    opened = Storage.open(database_url)
    try:
        yield opened
    finally:
        opened.close()


def test_a_grant_replaces_the_persons_roles_and_survives_a_reopen(
    storage: Storage, database_url: str
) -> None:
    store = PolicyStore(storage.engine)
    store.set_roles("U1", ["operator"], granted_by="U0ADMIN", workspace="T1")
    store.set_roles("U1", ["viewer"], granted_by="U0ADMIN", workspace="T1")
    store.bind("C1", cluster="default", namespaces=["staging", "qa"], bound_by="U0ADMIN")

    reopened = Storage.open(database_url)
    try:
        again = PolicyStore(reopened.engine)
        [grant], [binding] = again.grants(), again.bindings()
    finally:
        reopened.close()

    assert (grant.user_id, grant.roles, grant.granted_by, grant.workspace) == (
        "U1",
        ("viewer",),
        "U0ADMIN",
        "T1",
    )
    assert (binding.channel, binding.cluster, binding.namespaces) == ("C1", "default", ("staging", "qa"))


def test_the_deployment_history_is_newest_first_per_app_and_finds_a_deploy_by_commit(
    storage: Storage,
) -> None:
    log = DeploymentLog(storage.engine)
    common = {"namespace": "staging", "cluster": None, "trigger": "slack", "actor_id": "U1"}
    log.record(app="api", command="deploy", outcome="success", image_before="api:1", image_after="api:2",
               commit="abc1234def", **common)  # fmt: skip
    log.record(app="web", command="restart", outcome="success", revision=4, **common)
    log.record(app="api", command="deploy", outcome="failure", image_before="api:2", image_after="api:3",
               commit="fff0000", **common)  # fmt: skip

    api = log.recent(app="api")
    found = log.with_commit("api", "staging", "ABC1234")

    assert [(e.command, e.image_after, e.outcome) for e in api] == [
        ("deploy", "api:3", "failure"),
        ("deploy", "api:2", "success"),
    ]
    assert found is not None and (found.image_before, found.image_after) == ("api:1", "api:2")
    assert log.with_commit("api", "staging", "fff0000") is None  # a failed deploy is not a target


def test_an_approval_guard_keeps_the_state_the_approval_was_granted_against(storage: Storage) -> None:
    guards = ApprovalGuards(storage.engine)
    guards.put("a1", rule="write-in-staging", state={"exists": True, "generation": 3, "images": ["api:1"]})

    entry = guards.get("a1")

    assert entry is not None and (entry.rule, entry.state) == (
        "write-in-staging",
        {"exists": True, "generation": 3, "images": ["api:1"]},
    )
    assert guards.get("nope") is None


def test_secrets_are_stored_encrypted_and_read_back_with_the_key(storage: Storage) -> None:
    key = Fernet.generate_key().decode()
    SecretStore(storage.engine, key).put("slack:T1:bot_token", "xoxb-very-secret")

    with storage.engine.connect() as connection:
        stored = connection.execute(text("SELECT ciphertext FROM stored_secret")).scalar_one()

    assert "xoxb-very-secret" not in stored
    assert SecretStore(storage.engine, key).get("slack:T1:bot_token") == "xoxb-very-secret"
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        SecretStore(storage.engine, Fernet.generate_key().decode()).get("slack:T1:bot_token")


def test_without_an_encryption_key_a_secret_is_refused_never_stored_in_plaintext(storage: Storage) -> None:
    with pytest.raises(ConfigError, match="KLEPAAS_ENCRYPTION_KEY is not set"):
        SecretStore(storage.engine, None).put("slack:T1:bot_token", "xoxb-very-secret")

    with storage.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM stored_secret")).scalar_one() == 0


def test_a_pending_attempt_of_a_dead_process_is_marked_interrupted_and_a_live_ones_is_not(
    storage: Storage,
) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    mine = storage.audit.begin(actor_id="U1", source="slack", command="restart")
    orphan = storage.audit.begin(actor_id="U2", source="slack", command="restart")
    host = current_runner().rsplit(":", 1)[0]
    with storage.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_record SET runner = :r WHERE id = :i"),
            {"r": f"{host}:{dead_pid}", "i": orphan},
        )

    marked = mark_orphaned(storage.engine)

    assert marked == 1
    mine_entry, orphan_entry = storage.audit.get(mine), storage.audit.get(orphan)
    assert mine_entry is not None and mine_entry.outcome == "pending"
    assert orphan_entry is not None and orphan_entry.outcome == "interrupted"
    assert orphan_entry.error == "the process running it stopped before it finished"


def test_the_audit_export_pages_through_every_attempt_oldest_first(storage: Storage) -> None:
    ids = [storage.audit.begin(actor_id=f"U{i}", source="console", command="status") for i in range(7)]

    everything = [entry.id for entry in iter_audit(storage.engine)]
    recent = list(iter_audit(storage.engine, since=datetime.now(UTC) + timedelta(hours=1)))

    assert everything == ids and recent == []
