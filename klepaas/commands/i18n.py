"""The built-in commands' words, in English and Korean, in one catalogue.

`t(lang, key, **values)` formats one message. Every key has both languages with the same
placeholders (a test checks it); a missing key is a KeyError, found by the tests rather than by
a user. Command help lines live on the `CommandSpec`s themselves.
"""

from __future__ import annotations

import string
from typing import Any

from klepaas.llm.plan import Lang

_M: dict[str, tuple[str, str]] = {
    # ---- words and small labels (en, ko) ----
    "word.cluster": ("cluster", "클러스터"),
    "word.namespace": ("namespace", "네임스페이스"),
    "word.all_namespaces": ("all namespaces", "전체 네임스페이스"),
    "word.dry_run": ("dry run: nothing was changed", "시험 실행: 아무것도 바뀌지 않음"),
    "word.ready": ("ready", "준비됨"),
    "word.ready_of": ("{ready}/{total} ready", "{total}개 중 {ready}개 준비됨"),
    "word.healthy_of": ("{healthy}/{total} healthy", "{total}개 중 {healthy}개 정상"),
    "word.running_of": ("{running}/{total} running", "{total}개 중 {running}개 실행 중"),
    "health.healthy": ("healthy", "정상"),
    "health.progressing": ("rolling out", "배포 진행 중"),
    "health.degraded": ("degraded", "문제 있음"),
    "health.failed": ("failed", "실패"),
    "health.stopped": ("scaled to zero", "중지됨(0개)"),
    "risk.read": ("Look (run at once)", "조회 (바로 실행)"),
    "risk.write": ("Change (may need approval)", "변경 (승인이 필요할 수 있음)"),
    "risk.dangerous": ("Deploy and roll back (always approved by someone)", "배포·롤백 (항상 승인 필요)"),
    "scope.public": ("public", "외부"),
    "scope.nodes": ("node port", "노드 포트"),
    "scope.cluster": ("inside the cluster", "클러스터 내부"),
    "strategy.rolling": (
        "rolling update (max surge {surge}, max unavailable {unavailable})",
        "롤링 업데이트 (최대 추가 {surge}, 최대 중단 {unavailable})",
    ),
    "strategy.recreate": (
        "recreate: all pods stop, then new ones start",
        "재생성: 모든 파드를 멈춘 뒤 새로 시작",
    ),
    "button.rollback": ("Roll back", "롤백"),
    "alert.button.restart": ("Restart", "재시작"),
    "alert.button.rollback": ("Rollback", "롤백"),
    "alert.button.logs": ("Logs", "로그"),
    "alert.button.silence": ("Silence 1h", "1시간 알림 끄기"),
    "alert.silenced_by": (
        ":zzz: Silenced by <@{user}> until {until}",
        ":zzz: <@{user}>님이 {until}까지 알림을 껐습니다",
    ),
    # ---- kinds ----
    "kind.deployment": ("deployment", "앱(디플로이먼트)"),
    "kind.pod": ("pod", "파드"),
    "kind.service": ("service", "서비스"),
    "kind.namespace": ("namespace", "네임스페이스"),
    "kind.replicaset": ("replicaset", "레플리카셋"),
    "kind.ingress": ("ingress", "인그레스"),
    "kind.endpoints": ("endpoints", "엔드포인트"),
    "kind.node": ("node", "노드"),
    "kind.event": ("event", "이벤트"),
    "noun.pods": ("pods", "파드"),
    "noun.deployments": ("deployments", "디플로이먼트"),
    "noun.services": ("services", "서비스"),
    "noun.ingresses": ("ingresses", "인그레스"),
    "noun.endpoints": ("endpoints", "엔드포인트"),
    "noun.namespaces": ("namespaces", "네임스페이스"),
    "noun.apps": ("apps", "앱"),
    # ---- field labels ----
    "label.health": ("Health", "상태"),
    "label.status": ("Status", "상태"),
    "label.ready": ("Ready", "준비됨"),
    "label.updated": ("Up to date", "최신"),
    "label.available": ("Available", "사용 가능"),
    "label.images": ("Images", "이미지"),
    "label.image": ("Image", "이미지"),
    "label.container": ("Container", "컨테이너"),
    "label.revision": ("Revision", "리비전"),
    "label.age": ("Age", "생성 후"),
    "label.restarts": ("Restarts", "재시작"),
    "label.node": ("Node", "노드"),
    "label.ip": ("Pod IP", "파드 IP"),
    "label.replicas": ("Replicas", "레플리카"),
    "label.strategy": ("Strategy", "배포 전략"),
    "label.selector": ("Selector", "셀렉터"),
    "label.paused": ("Paused", "일시 중지"),
    "label.change_cause": ("Change cause", "변경 사유"),
    "label.type": ("Type", "유형"),
    "label.cluster_ip": ("Cluster IP", "클러스터 IP"),
    "label.external": ("External address", "외부 주소"),
    "label.endpoints": ("Backing pods", "연결된 파드"),
    "label.nodes": ("Nodes", "노드"),
    "label.cpu": ("Allocatable CPU", "할당 가능 CPU"),
    "label.memory": ("Allocatable memory", "할당 가능 메모리"),
    "label.namespaces": ("Namespaces", "네임스페이스"),
    "label.apps": ("Apps", "앱"),
    "label.pods": ("Pods", "파드"),
    "label.pods_replaced": ("Pods replaced", "교체될 파드"),
    "label.monthly_estimate": ("Estimated monthly cost", "월 예상 비용"),
    "label.cpu_requested": ("CPU requested", "요청 CPU"),
    "label.memory_requested": ("Memory requested", "요청 메모리"),
    # ---- table columns ----
    "col.namespace": ("Namespace", "네임스페이스"),
    "col.name": ("Name", "이름"),
    "col.app": ("App", "앱"),
    "col.pod": ("Pod", "파드"),
    "col.deployment": ("Deployment", "디플로이먼트"),
    "col.service": ("Service", "서비스"),
    "col.ingress": ("Ingress", "인그레스"),
    "col.container": ("Container", "컨테이너"),
    "col.ready": ("Ready", "준비"),
    "col.status": ("Status", "상태"),
    "col.health": ("Health", "상태"),
    "col.restarts": ("Restarts", "재시작"),
    "col.age": ("Age", "생성 후"),
    "col.node": ("Node", "노드"),
    "col.image": ("Image", "이미지"),
    "col.images": ("Images", "이미지"),
    "col.state": ("State", "상태"),
    "col.updated": ("Up to date", "최신"),
    "col.available": ("Available", "사용 가능"),
    "col.type": ("Type", "유형"),
    "col.reason": ("Reason", "사유"),
    "col.object": ("Object", "대상"),
    "col.message": ("Message", "메시지"),
    "col.cluster_ip": ("Cluster IP", "클러스터 IP"),
    "col.external": ("External", "외부 주소"),
    "col.ports": ("Ports", "포트"),
    "col.port": ("Port", "포트"),
    "col.target": ("Target port", "대상 포트"),
    "col.node_port": ("Node port", "노드 포트"),
    "col.protocol": ("Protocol", "프로토콜"),
    "col.ip": ("IP", "IP"),
    "col.class": ("Class", "클래스"),
    "col.hosts": ("Hosts", "호스트"),
    "col.address": ("Address", "주소"),
    "col.backends": ("Backends", "백엔드"),
    "col.endpoints": ("Endpoints", "엔드포인트"),
    "col.kind": ("Kind", "종류"),
    "col.scope": ("Reachable from", "접근 범위"),
    "col.revision": ("Revision", "리비전"),
    "col.change_cause": ("Change cause", "변경 사유"),
    "col.pods": ("Pods", "파드"),
    "col.cpu": ("CPU (request / limit)", "CPU (요청 / 제한)"),
    "col.memory": ("Memory (request / limit)", "메모리 (요청 / 제한)"),
    "col.monthly": ("Per month", "월 비용"),
    "col.detail": ("Detail", "내용"),
    "col.command": ("Command", "명령"),
    "col.description": ("What it does", "설명"),
    # ---- titles ----
    "title.pods": ("Pods in {namespace}", "{namespace} 파드"),
    "title.deployments": ("Deployments in {namespace}", "{namespace} 디플로이먼트"),
    "title.services": ("Services in {namespace}", "{namespace} 서비스"),
    "title.ingresses": ("Ingresses in {namespace}", "{namespace} 인그레스"),
    "title.endpoints": ("Endpoints in {namespace}", "{namespace} 엔드포인트"),
    "title.apps": ("Apps in {namespace}", "{namespace} 앱"),
    "title.namespaces": ("Namespaces", "네임스페이스"),
    "title.app_pods": ("Pods", "파드"),
    "title.backends": ("Backing pods", "연결된 파드"),
    "title.namespace_status": ("Apps in {namespace}", "{namespace} 앱 상태"),
    "title.events": ("Recent warnings", "최근 경고"),
    "title.containers": ("Containers", "컨테이너"),
    "title.conditions": ("Conditions", "상태 조건"),
    "title.ports": ("Ports", "포트"),
    "title.overview": ("Cluster {cluster}", "클러스터 {cluster}"),
    "title.attention": ("Needs attention", "확인이 필요한 앱"),
    "title.cost": ("Estimated cost: {namespace}", "예상 비용: {namespace}"),
    "preview.title": ("What will change", "변경될 내용"),
    # ---- errors and hints ----
    "err.one_namespace": (
        "this command works on one namespace; name it instead of all namespaces",
        "이 명령은 네임스페이스 하나에서만 동작합니다. 전체 대신 네임스페이스를 지정하세요",
    ),
    "err.app_in_no_namespace": (
        'no app (deployment) named "{name}" in any namespace here',
        '"{name}" 앱(디플로이먼트)은 여기서 쓸 수 있는 어느 네임스페이스에도 없습니다',
    ),
    "err.app_in_several_namespaces": (
        '"{name}" is in several namespaces: {namespaces}; which one?',
        '"{name}" 앱이 여러 네임스페이스에 있습니다: {namespaces}. 어느 쪽인가요?',
    ),
    # ---- the policy's refusals (klepaas.commands.policy words them in English) ----
    "policy.channel_namespaces": (
        "This channel may only use namespace(s) {allowed}, not {namespace}.",
        "이 채널에서는 {allowed} 네임스페이스만 쓸 수 있습니다 ({namespace}은(는) 안 됩니다).",
    ),
    "policy.channel_cluster": (
        "This channel is bound to cluster {bound}, not {cluster}.",
        "이 채널은 {bound} 클러스터에 묶여 있습니다 ({cluster}은(는) 안 됩니다).",
    ),
    "policy.role_scope": (
        "{command} needs {scope}; your role ({roles}) does not have it (roles that do: {holders}).",
        "{command}에는 {scope} 권한이 필요한데, 내 역할({roles})에는 없습니다 (가진 역할: {holders}).",
    ),
    "policy.production_no_rule": (
        "No approval rule allows {command} in the production namespace {namespace}.",
        "운영 네임스페이스 {namespace}에서 {command}을(를) 허용하는 승인 규칙이 없습니다.",
    ),
    "err.namespace_not_allowed": (
        'namespace "{namespace}" is not available in this channel (allowed: {allowed})',
        '이 채널에서는 "{namespace}" 네임스페이스를 쓸 수 없습니다 (허용: {allowed})',
    ),
    "err.not_found_in": (
        '{kind} "{name}" not found in namespace "{namespace}"',
        '"{namespace}" 네임스페이스에 {kind} "{name}"이(가) 없습니다',
    ),
    "err.not_found": ('{kind} "{name}" not found', '{kind} "{name}"이(가) 없습니다'),
    "hint.did_you_mean": ("did you mean {names}?", "{names}을(를) 찾으셨나요?"),
    "hint.found_in_namespaces": (
        "it exists in namespace {namespaces}",
        "{namespaces} 네임스페이스에 있습니다",
    ),
    "hint.known_revisions": ("revisions: {revisions}", "리비전: {revisions}"),
    "hint.max_replicas": ("the limit is KLEPAAS_MAX_REPLICAS", "상한은 KLEPAAS_MAX_REPLICAS 설정입니다"),
    "hint.previous_logs": (
        "the container restarted {restarts} times; `logs {name} --previous` shows the crashed run",
        "컨테이너가 {restarts}번 재시작했습니다. 이전 실행 로그는 `logs {name} --previous`로 볼 수 있습니다",
    ),
    "hint.scale_up": (
        "scale it up first, e.g. `scale {name} 1`",
        "먼저 파드를 늘리세요. 예: `scale {name} 1`",
    ),
    "hint.expose": (
        "no service selects {name}'s pods; create a Service to reach it",
        "{name}의 파드를 가리키는 서비스가 없습니다. 접속하려면 서비스를 만드세요",
    ),
    "hint.restart": (
        "to start fresh pods with the same image, use `restart {name}`",
        "같은 이미지로 파드를 새로 띄우려면 `restart {name}`을 쓰세요",
    ),
    # ---- pod problems ----
    "problem.CrashLoopBackOff": (
        "{pod}: container {container} keeps crashing ({restarts} restarts); see `logs {app} --previous`",
        "{pod}: {container} 컨테이너가 계속 종료됩니다 (재시작 {restarts}회). "
        "`logs {app} --previous`로 확인하세요",
    ),
    "problem.OOMKilled": (
        "{pod}: container {container} ran out of memory (OOMKilled, {restarts} restarts); "
        "raise its memory limit",
        "{pod}: {container} 컨테이너가 메모리 부족으로 종료됐습니다 "
        "(OOMKilled, 재시작 {restarts}회). 메모리 제한을 늘리세요",
    ),
    "problem.ImagePullBackOff": (
        "{pod}: the image of {container} cannot be pulled; check the name and tag",
        "{pod}: {container} 컨테이너 이미지를 받을 수 없습니다. 이름과 태그를 확인하세요",
    ),
    "problem.ErrImagePull": (
        "{pod}: pulling the image of {container} failed; check the name and tag",
        "{pod}: {container} 컨테이너 이미지 받기에 실패했습니다. 이름과 태그를 확인하세요",
    ),
    "problem.Error": (
        "{pod}: container {container} exited with an error ({restarts} restarts)",
        "{pod}: {container} 컨테이너가 오류로 종료됐습니다 (재시작 {restarts}회)",
    ),
    "problem.other": (
        "{pod}: container {container}: {reason} ({restarts} restarts)",
        "{pod}: {container} 컨테이너: {reason} (재시작 {restarts}회)",
    ),
    # ---- status ----
    "status.healthy": (
        "{name} is healthy: {ready}/{desired} pods ready",
        "{name} 정상: 파드 {desired}개 중 {ready}개 준비됨",
    ),
    "status.progressing": (
        "{name} is rolling out: {ready}/{desired} pods ready",
        "{name} 배포 진행 중: 파드 {desired}개 중 {ready}개 준비됨",
    ),
    "status.degraded": (
        "{name} has problems: {ready}/{desired} pods ready, {problems} failing",
        "{name}에 문제가 있습니다: 파드 {desired}개 중 {ready}개 준비됨, {problems}개 실패",
    ),
    "status.failed": (
        "{name}'s rollout failed: {ready}/{desired} pods ready",
        "{name} 배포 실패: 파드 {desired}개 중 {ready}개 준비됨",
    ),
    "status.stopped": ("{name} is scaled to zero", "{name}은(는) 파드 0개로 중지되어 있습니다"),
    "status.pod": (
        "pod {name} is {status}: {ready}/{total} containers ready, {restarts} restarts",
        "파드 {name} 상태 {status}: 컨테이너 {total}개 중 {ready}개 준비됨, 재시작 {restarts}회",
    ),
    "status.namespace": (
        "{namespace}: {total} apps, {healthy} healthy, {unhealthy} with problems",
        "{namespace}: 앱 {total}개, 정상 {healthy}개, 문제 {unhealthy}개",
    ),
    "empty.apps": ("no apps in namespace {namespace}", "{namespace} 네임스페이스에 앱이 없습니다"),
    "empty.list": ("no {what} in {namespace}", "{namespace}에 {what}이(가) 없습니다"),
    # ---- logs ----
    "logs.title": (
        "Logs of {pod} ({container}), last {lines} lines",
        "{pod} ({container}) 로그, 마지막 {lines}줄",
    ),
    "logs.summary": (
        "last {lines} log lines of {pod} ({container})",
        "{pod} ({container}) 최근 로그 {lines}줄",
    ),
    "logs.summary_previous": (
        "last {lines} log lines of the previous run of {pod} ({container})",
        "{pod} ({container}) 이전 실행의 로그 {lines}줄",
    ),
    "logs.empty": ("the container wrote nothing yet", "컨테이너가 아직 아무것도 출력하지 않았습니다"),
    "logs.no_pods": ("{name} has no pods to read logs from", "{name}에 로그를 읽을 파드가 없습니다"),
    "logs.no_container": (
        'pod {pod} has no container "{container}" (containers: {containers})',
        '파드 {pod}에 "{container}" 컨테이너가 없습니다 (컨테이너: {containers})',
    ),
    "logs.other_pods": ("{count} more pods", "다른 파드 {count}개"),
    # ---- endpoint / service ----
    "endpoint.title": ("How to reach {name}", "{name} 접속 주소"),
    "endpoint.public": ("{name} is reachable at {url}", "{name} 접속 주소: {url}"),
    "endpoint.internal": (
        "{name} is reachable only inside the cluster, at {url}",
        "{name}은(는) 클러스터 내부에서만 접속할 수 있습니다: {url}",
    ),
    "endpoint.no_service": ("no service routes to {name}", "{name}(으)로 연결되는 서비스가 없습니다"),
    "service.summary": (
        "service {name} ({type}): {ready}/{total} backing pods ready",
        "서비스 {name} ({type}): 연결된 파드 {total}개 중 {ready}개 준비됨",
    ),
    "service.no_backends": (
        "service {name} ({type}) has no ready pods behind it",
        "서비스 {name} ({type})에 준비된 파드가 없습니다",
    ),
    "get_deployment.summary": (
        "deployment {name}: {ready}/{desired} ready, revision {revision}, {images}",
        "디플로이먼트 {name}: {desired}개 중 {ready}개 준비됨, 리비전 {revision}, {images}",
    ),
    # ---- history ----
    "history.title": ("Revisions of {name}", "{name} 배포 이력"),
    "history.summary": (
        "{name} has {count} revisions; revision {current} is live",
        "{name} 리비전 {count}개, 현재 리비전 {current}",
    ),
    "history.empty": ("{name} has no recorded revisions", "{name}에 기록된 리비전이 없습니다"),
    # ---- restart ----
    "restart.done": (
        "restarting {name}: its {replicas} pods are being replaced",
        "{name} 재시작 중: 파드 {replicas}개를 교체합니다",
    ),
    "restart.done_zero": (
        "{name} is scaled to zero: the restart takes effect when it is scaled up",
        "{name}은(는) 파드 0개 상태입니다. 재시작은 파드를 늘릴 때 적용됩니다",
    ),
    "restart.preview": (
        "restart {name}: its {replicas} pods will be replaced",
        "{name} 재시작: 파드 {replicas}개가 교체됩니다",
    ),
    "restart.paused": (
        "{name}'s rollouts are paused; resume them before restarting",
        "{name}의 배포가 일시 중지되어 있습니다. 재개한 뒤 재시작하세요",
    ),
    # ---- scale ----
    "scale.done": (
        "{name} scaled from {before} to {after} pods",
        "{name} 파드 {before}개 → {after}개로 조정했습니다",
    ),
    "scale.preview": ("{name}: {before} → {after} pods", "{name}: 파드 {before}개 → {after}개"),
    "scale.unchanged": (
        "{name} already runs {replicas} pods; nothing to do",
        "{name}은(는) 이미 파드 {replicas}개입니다. 바꿀 것이 없습니다",
    ),
    "scale.too_many": (
        "{replicas} pods is more than the allowed {limit}",
        "파드 {replicas}개는 허용된 최대 {limit}개보다 많습니다",
    ),
    # ---- rollback ----
    "rollback.done": (
        "rolling back {name} from revision {before} to revision {after} ({images})",
        "{name}을(를) 리비전 {before}에서 리비전 {after}({images})(으)로 롤백합니다",
    ),
    "rollback.preview": (
        "roll back {name}: revision {before} → the template of revision {after}",
        "{name} 롤백: 리비전 {before} → 리비전 {after}의 설정",
    ),
    "rollback.no_such_revision": (
        "{name} has no revision {revision}",
        "{name}에 리비전 {revision}이(가) 없습니다",
    ),
    "rollback.already_current": (
        "{name} already runs revision {revision}",
        "{name}은(는) 이미 리비전 {revision}입니다",
    ),
    "rollback.no_commit": (
        "no revision of {name} was deployed from commit {commit}",
        "{name}에 커밋 {commit}(으)로 배포된 리비전이 없습니다",
    ),
    "rollback.commit_current": (
        "{name} already runs commit {commit}",
        "{name}은(는) 이미 커밋 {commit}입니다",
    ),
    "rollback.not_enough": (
        "{name} has only {available} earlier revisions; cannot go back {steps}",
        "{name}의 이전 리비전은 {available}개뿐이라 {steps}단계 되돌릴 수 없습니다",
    ),
    "rollback.paused": (
        "{name}'s rollouts are paused; resume them before rolling back",
        "{name}의 배포가 일시 중지되어 있습니다. 재개한 뒤 롤백하세요",
    ),
    # ---- deploy ----
    "deploy.created": ("created {name} running {image}", "{name}을(를) 만들고 {image}을(를) 실행합니다"),
    "deploy.updated": (
        "deploying {after} to {name} (was {before})",
        "{name}에 {after} 배포 중 (이전 {before})",
    ),
    "deploy.preview": ("{name}: image {before} → {after}", "{name}: 이미지 {before} → {after}"),
    "deploy.preview_new": (
        "creates a new app {name} running {image} (1 pod)",
        "새 앱 {name}을(를) 만들어 {image} 실행 (파드 1개)",
    ),
    "deploy.preview_new_service": (
        "creates a new app {name} running {image} (1 pod) and a service on port {port}",
        "새 앱 {name}을(를) 만들어 {image} 실행 (파드 1개), 포트 {port} 서비스 생성",
    ),
    "deploy.unchanged": ("{name} already runs {image}", "{name}은(는) 이미 {image}을(를) 실행 중입니다"),
    "deploy.need_image": (
        "{name} does not exist yet; give an image to create it",
        "{name} 앱이 아직 없습니다. 만들려면 이미지를 지정하세요",
    ),
    "deploy.no_container": (
        '{name} has no container "{container}" (containers: {containers})',
        '{name}에 "{container}" 컨테이너가 없습니다 (컨테이너: {containers})',
    ),
    "deploy.which_container": (
        "{name} has several containers ({containers}); say which one",
        "{name}에 컨테이너가 여러 개 있습니다 ({containers}). 하나를 지정하세요",
    ),
    # ---- lists ----
    "list.summary": ("{count} {what} in {namespace}", "{namespace}: {what} {count}개"),
    "list.summary_cluster": ("{count} {what}", "{what} {count}개"),
    "overview.summary": (
        "{cluster}: {nodes} nodes, {apps} apps ({healthy} healthy), {pods} pods; {attention} need attention",
        "{cluster}: 노드 {nodes}개, 앱 {apps}개(정상 {healthy}개), 파드 {pods}개, 확인 필요 {attention}개",
    ),
    "overview.all_good": ("every app is healthy", "모든 앱이 정상입니다"),
    "overview.no_nodes": (
        "node details are not visible to this identity",
        "이 계정으로는 노드 정보를 볼 수 없습니다",
    ),
    # ---- cost ----
    "cost.summary": (
        "{namespace}: about {monthly} a month (estimate)",
        "{namespace}: 월 약 {monthly} (추정)",
    ),
    "cost.basis": (
        "Estimate from requested CPU and memory at ${vcpu}/vCPU-hour and ${gib}/GiB-hour, {hours} "
        "hours a month ({source}); not a bill.",
        "요청한 CPU·메모리 기준 추정치입니다: vCPU-시간당 ${vcpu}, GiB-시간당 ${gib}, 월 {hours}시간 "
        "({source}). 실제 청구액이 아닙니다.",
    ),
    "cost.no_requests": (
        "{count} pods request nothing and are not counted.",
        "요청량이 없는 파드 {count}개는 계산에서 빠졌습니다.",
    ),
    "cost.partial": ("Only the first {count} pods were counted.", "처음 {count}개 파드만 계산했습니다."),
    # ---- errors from below the commands, re-worded (klepaas.commands.localise) ----
    # The English side of each `k8s.*`, `usage.*`, `value.*`, `app.*` and `hint.k8s.*` entry is
    # exactly what the gateway, the grammar or pydantic says: a message is recognised by it, and
    # a change there shows up as a failing round-trip test rather than as a wrong translation.
    "k8s.tls": (
        "cannot make a secure connection to the cluster{where}",
        "클러스터{where}에 보안 연결을 만들 수 없습니다",
    ),
    "k8s.unauthorized": (
        "the cluster{where} did not accept our credentials",
        "클러스터{where}가 인증 정보를 받아들이지 않았습니다",
    ),
    "k8s.forbidden_detail": (
        "not allowed to {verb} {what}: {detail}",
        "{what} {verb} 권한이 없습니다 (클러스터 응답: {detail})",
    ),
    "k8s.forbidden": ("not allowed to {verb} {what}", "{what} {verb} 권한이 없습니다"),
    "k8s.not_found_detail": (
        "{what} not found: {detail}",
        "{what}을(를) 찾을 수 없습니다 (클러스터 응답: {detail})",
    ),
    "k8s.not_found": ("{what} not found", "{what}을(를) 찾을 수 없습니다"),
    "k8s.already_exists": ("{what} already exists", "{what}이(가) 이미 있습니다"),
    "k8s.conflict": (
        "{what} was changed by someone else at the same time",
        "{what}을(를) 다른 사람이 동시에 변경했습니다",
    ),
    "k8s.expired_detail": (
        "the list or watch of {what} is too old to continue: {detail}",
        "{what} 목록·감시가 너무 오래되어 이어갈 수 없습니다 (클러스터 응답: {detail})",
    ),
    "k8s.expired": (
        "the list or watch of {what} is too old to continue",
        "{what} 목록·감시가 너무 오래되어 이어갈 수 없습니다",
    ),
    "k8s.watch_expired": (
        "the watch of {what} is too old to resume",
        "{what} 감시가 너무 오래되어 다시 이어갈 수 없습니다",
    ),
    "k8s.invalid": (
        "the cluster refused to {verb} {what}: {detail}",
        "클러스터가 {what} {verb} 요청을 거부했습니다: {detail}",
    ),
    "k8s.rate_limited": (
        "the cluster{where} is rate-limiting us",
        "클러스터{where}에 요청이 너무 많아 잠시 거절되고 있습니다",
    ),
    "k8s.gateway_timeout": (
        "the cluster{where} timed out while trying to {verb} {what}",
        "클러스터{where}가 {what} {verb} 중에 시간 초과되었습니다",
    ),
    "k8s.failed_detail": (
        "the cluster{where} failed to {verb} {what} (HTTP {code}): {detail}",
        "클러스터{where}가 {what} {verb}에 실패했습니다 (HTTP {code}, 클러스터 응답: {detail})",
    ),
    "k8s.failed": (
        "the cluster{where} failed to {verb} {what} (HTTP {code})",
        "클러스터{where}가 {what} {verb}에 실패했습니다 (HTTP {code})",
    ),
    "k8s.unexpected_detail": (
        "unexpected answer from the cluster{where} (HTTP {code}): {detail}",
        "클러스터{where}가 예상하지 못한 응답을 보냈습니다 (HTTP {code}, 클러스터 응답: {detail})",
    ),
    "k8s.unexpected": (
        "unexpected answer from the cluster{where} (HTTP {code})",
        "클러스터{where}가 예상하지 못한 응답을 보냈습니다 (HTTP {code})",
    ),
    "k8s.config": (
        "cannot load the Kubernetes configuration{where}: {detail}",
        "쿠버네티스 설정{where}을(를) 불러올 수 없습니다: {detail}",
    ),
    "k8s.resolve": (
        "cannot resolve the cluster{where}'s address",
        "클러스터{where}의 주소를 찾을 수 없습니다",
    ),
    "k8s.refused": (
        "cannot connect to the cluster{where}: connection refused",
        "클러스터{where}에 연결할 수 없습니다: 연결이 거부되었습니다",
    ),
    "k8s.connect": ("cannot connect to the cluster{where}", "클러스터{where}에 연결할 수 없습니다"),
    "k8s.connect_timeout_in": (
        "could not connect to the cluster{where} within {seconds}s",
        "클러스터{where}에 {seconds}초 안에 연결하지 못했습니다",
    ),
    "k8s.connect_timeout": (
        "could not connect to the cluster{where}",
        "클러스터{where}에 연결하지 못했습니다",
    ),
    "k8s.no_answer_in": (
        "the cluster{where} did not answer within {seconds}s",
        "클러스터{where}가 {seconds}초 안에 응답하지 않았습니다",
    ),
    "k8s.no_answer": ("the cluster{where} did not answer", "클러스터{where}가 응답하지 않았습니다"),
    "k8s.lost": ("lost the connection to the cluster{where}", "클러스터{where}와의 연결이 끊어졌습니다"),
    "k8s.cannot_talk": (
        "cannot talk to the cluster{where} ({detail})",
        "클러스터{where}와 통신할 수 없습니다 ({detail})",
    ),
    "k8s.unknown_cluster": ('unknown cluster "{name}"', '알 수 없는 클러스터 "{name}"'),
    "k8s.no_config": ("no Kubernetes configuration found", "쿠버네티스 설정을 찾을 수 없습니다"),
    "k8s.no_context": ("the kubeconfig has no current context", "kubeconfig에 현재 컨텍스트가 없습니다"),
    "k8s.connections_closed": ("the cluster connections are closed", "클러스터 연결이 닫혀 있습니다"),
    # A rollout's progress, as klepaas.k8s.rollout words it (kubectl rollout status's wording).
    "rollout.observing": (
        "waiting for the deployment spec update to be observed",
        "디플로이먼트 변경이 반영되기를 기다리는 중",
    ),
    "rollout.deadline": (
        'deployment "{name}" exceeded its progress deadline',
        '디플로이먼트 "{name}"이(가) 진행 기한을 넘겼습니다',
    ),
    "rollout.pod_failing": ("pod {pod} of the new revision: {reason}", "새 리비전의 파드 {pod}: {reason}"),
    "rollout.updating": (
        "{updated} of {desired} new replicas updated",
        "새 레플리카 {desired}개 중 {updated}개 업데이트됨",
    ),
    "rollout.terminating": (
        "{count} old replicas pending termination",
        "이전 레플리카 {count}개 종료 대기 중",
    ),
    "rollout.available": (
        "{available} of {updated} updated replicas available",
        "업데이트된 레플리카 {updated}개 중 {available}개 사용 가능",
    ),
    "rollout.done": ('deployment "{name}" successfully rolled out', '디플로이먼트 "{name}" 롤아웃 완료'),
    "rollout.timed_out": (
        "timed out after {seconds}s: {message}",
        "{seconds}초 안에 끝나지 않았습니다: {message}",
    ),
    "rollout.line": (
        "rollout {name} ({namespace}){revision}: {updated}/{desired} updated, {ready} ready, "
        "{available} available",
        "롤아웃 {name} ({namespace}){revision}: 업데이트 {updated}/{desired}, 준비 {ready}, "
        "사용 가능 {available}",
    ),
    "rollout.old": (", {count} old", ", 이전 {count}"),
    "rollout.following": ("following rollout of {name}…", "{name} 롤아웃을 지켜보는 중…"),
    "rollout.pod": ("pod {pod}/{container}: {reason}", "파드 {pod}/{container}: {reason}"),
    "rollout.restarts": (" ({count} restarts)", " (재시작 {count}회)"),
    "k8s.deleted_during_rollout": (
        'deployment "{name}" was deleted during the rollout',
        '배포 도중 디플로이먼트 "{name}"이(가) 삭제되었습니다',
    ),
    "hint.k8s.certificate": (
        "check the cluster's certificate in the kubeconfig",
        "kubeconfig에 있는 클러스터 인증서를 확인하세요",
    ),
    "hint.k8s.credentials": (
        "the kubeconfig token or certificate may have expired",
        "kubeconfig의 토큰이나 인증서가 만료되었을 수 있습니다",
    ),
    "hint.k8s.try_again": ("try again", "다시 시도해 주세요"),
    "hint.k8s.try_again_in": ("try again in {seconds}s", "{seconds}초 뒤에 다시 시도해 주세요"),
    "hint.k8s.server_url": ("check the server URL in the kubeconfig", "kubeconfig의 서버 주소를 확인하세요"),
    "hint.k8s.server_running": (
        "is the API server running and the kubeconfig pointing at it?",
        "API 서버가 실행 중인지, kubeconfig가 그 서버를 가리키는지 확인하세요",
    ),
    "hint.k8s.known_clusters": ("known clusters: {names}", "알려진 클러스터: {names}"),
    "hint.k8s.set_kubeconfig": (
        "set KUBECONFIG to a kubeconfig file, or run inside a cluster",
        "KUBECONFIG에 kubeconfig 파일을 지정하거나 클러스터 안에서 실행하세요",
    ),
    "hint.k8s.set_context": (
        "set KLEPAAS_KUBE_CONTEXT to one of: {names}",
        "KLEPAAS_KUBE_CONTEXT를 다음 중 하나로 지정하세요: {names}",
    ),
    "hint.help": ("type `help` for the commands", "`help`로 명령 목록을 볼 수 있습니다"),
    "hint.approval_elsewhere": (
        "ask where approvals can be given (Slack, or the console with confirmation)",
        "승인을 받을 수 있는 곳(Slack, 또는 확인을 묻는 콘솔)에서 요청하세요",
    ),
    "app.unknown_command": ("Unknown command: {name}", "알 수 없는 명령: {name}"),
    # ---- usage errors: the grammar's problems, then pydantic's and our validators' ----
    "usage.unreadable": ("could not read the command: {detail}", "명령을 읽을 수 없습니다: {detail}"),
    "usage.cluster_name": (
        "--cluster needs a cluster (kubeconfig context) name",
        "--cluster 다음에 클러스터(kubeconfig 컨텍스트) 이름이 필요합니다",
    ),
    "usage.one_namespace": (
        "{command} works on one namespace; all namespaces ('*' / -n all) is for list commands",
        "{command} 명령은 네임스페이스 하나에서만 동작합니다. 전체 네임스페이스('*' / -n all)는 "
        "목록 명령에만 쓸 수 있습니다",
    ),
    "usage.unexpected": ("unexpected {token}", "예상하지 못한 입력: {token}"),
    "usage.unknown_option": ("unknown option {option}", "알 수 없는 옵션: {option}"),
    "usage.needs_value": ("{option} needs a value", "{option} 다음에 값이 필요합니다"),
    "usage.twice": ("{field} is given twice", "{field}이(가) 두 번 주어졌습니다"),
    "usage.missing": ("{field} is missing", "{field}이(가) 빠졌습니다"),
    "usage.unknown_argument": ("unknown argument {field}", "알 수 없는 인자: {field}"),
    "usage.invalid": ("invalid arguments", "인자가 올바르지 않습니다"),
    "usage.field": ("{field}: {detail}", "{field}: {detail}"),
    "value.ge": ("Input should be greater than or equal to {limit}", "{limit} 이상이어야 합니다"),
    "value.le": ("Input should be less than or equal to {limit}", "{limit} 이하여야 합니다"),
    "value.gt": ("Input should be greater than {limit}", "{limit}보다 커야 합니다"),
    "value.lt": ("Input should be less than {limit}", "{limit}보다 작아야 합니다"),
    "value.int": (
        "Input should be a valid integer, unable to parse string as an integer",
        "정수여야 합니다",
    ),
    "value.int_fraction": (
        "Input should be a valid integer, got a number with a fractional part",
        "소수가 아닌 정수여야 합니다",
    ),
    "value.bool": (
        "Input should be a valid boolean, unable to interpret input",
        "참/거짓(true/false) 값이어야 합니다",
    ),
    "value.str_max": ("String should have at most {limit} characters", "{limit}자 이하여야 합니다"),
    "value.str_min": ("String should have at least {limit} characters", "{limit}자 이상이어야 합니다"),
    "value.str_min_one": ("String should have at least 1 character", "비어 있으면 안 됩니다"),
    "value.choice": ("Input should be {choices}", "다음 중 하나여야 합니다: {choices}"),
    "value.name": (
        '"{value}" is not a valid name: use lower-case letters, digits, "-" and ".", '
        "starting and ending with a letter or digit",
        '"{value}"은(는) 쓸 수 없는 이름입니다: 소문자, 숫자, "-", "."만 쓰고 '
        "문자나 숫자로 시작하고 끝나야 합니다",
    ),
    "value.label": (
        '"{value}" is not a valid name: use at most 63 lower-case letters, digits and "-", '
        "starting and ending with a letter or digit",
        '"{value}"은(는) 쓸 수 없는 이름입니다: 소문자, 숫자, "-"로 63자 이하, '
        "문자나 숫자로 시작하고 끝나야 합니다",
    ),
    "value.image": (
        '"{value}" is not a valid image reference (e.g. nginx:1.27 or ghcr.io/acme/api:v2)',
        '"{value}"은(는) 올바른 이미지가 아닙니다 (예: nginx:1.27, ghcr.io/acme/api:v2)',
    ),
    "value.repo": (
        '"{value}" is not a repository name like owner/name',
        '"{value}"은(는) owner/name 형식의 저장소 이름이 아닙니다',
    ),
    "value.ref": (
        '"{value}" is not a valid git ref (branch, tag or commit)',
        '"{value}"은(는) 올바른 git ref(브랜치, 태그, 커밋)가 아닙니다',
    ),
    "value.commit": (
        '"{value}" is not a commit id (7 to 40 hexadecimal characters)',
        '"{value}"은(는) 커밋 ID(16진수 7~40자)가 아닙니다',
    ),
    "value.rollback_one_of": (
        "give only one of revision, steps_back, commit (got {given})",
        "revision, steps_back, commit 중 하나만 지정하세요 (받은 것: {given})",
    ),
    "value.deploy_what": (
        "give an image (e.g. nginx:1.27), or a repo and ref",
        "이미지(예: nginx:1.27)나 저장소와 ref를 지정하세요",
    ),
    "value.deploy_not_both": ("give either an image or a ref, not both", "이미지와 ref 중 하나만 지정하세요"),
    "value.deploy_name": ("name the app to deploy", "배포할 앱 이름을 지정하세요"),
    # ---- what is left: the error's own words after a sentence in the user's language ----
    "fallback.error": ("{detail}", "요청을 처리하지 못했습니다: {detail}"),
    "fallback.user_error": ("{detail}", "요청을 처리할 수 없습니다: {detail}"),
    "fallback.usage": ("{detail}", "명령 형식이 맞지 않습니다: {detail}"),
    "fallback.config_error": ("{detail}", "설정 문제로 처리할 수 없습니다: {detail}"),
    "fallback.not_found": ("{detail}", "찾을 수 없습니다: {detail}"),
    "fallback.already_exists": ("{detail}", "이미 있습니다: {detail}"),
    "fallback.forbidden": ("{detail}", "권한이 없습니다: {detail}"),
    "fallback.unauthorized": ("{detail}", "인증에 실패했습니다: {detail}"),
    "fallback.conflict": ("{detail}", "다른 변경과 충돌했습니다: {detail}"),
    "fallback.expired": ("{detail}", "정보가 너무 오래되었습니다: {detail}"),
    "fallback.invalid": ("{detail}", "요청이 거부되었습니다: {detail}"),
    "fallback.unavailable": ("{detail}", "지금은 연결할 수 없습니다: {detail}"),
    "fallback.rate_limited": ("{detail}", "요청이 너무 많아 잠시 거절되었습니다: {detail}"),
    "fallback.timed_out": ("{detail}", "시간이 초과되었습니다: {detail}"),
    "fallback.hint": ("{detail}", "참고: {detail}"),
    "word.usage": ("Usage", "사용법"),
    "word.did_you_mean": ("Did you mean", "혹시"),
    # ---- verbs the gateway names, as they read after "{what}" in Korean ----
    "verb.get": ("get", "조회"),
    "verb.list": ("list", "목록 조회"),
    "verb.watch": ("watch", "감시"),
    "verb.create": ("create", "생성"),
    "verb.update": ("update", "수정"),
    "verb.patch": ("patch", "변경"),
    "verb.delete": ("delete", "삭제"),
    "verb.scale": ("scale", "스케일 조정"),
    "verb.roll back": ("roll back", "롤백"),
    "verb.read the logs of": ("read the logs of", "로그 조회"),
    "what.resource": ("the resource", "리소스"),
    "what.one_in": (
        '{kind} "{name}" in namespace "{namespace}"',
        '"{namespace}" 네임스페이스의 {kind} "{name}"',
    ),
    "what.one": ('{kind} "{name}"', '{kind} "{name}"'),
    "what.all_in": ('{kind}s in namespace "{namespace}"', '"{namespace}" 네임스페이스의 {kind}'),
    "what.all": ("{kind}s", "{kind}"),
    # ---- the console's confirmation prompt ----
    "console.preview": ("Preview (dry run):", "미리보기 (시험 실행):"),
    "console.confirm": ("{action}? [y/N] ", "{action}할까요? [y/N] "),
    "console.no_terminal": (
        "declined: no terminal to ask on; pass --yes to confirm",
        "거절함: 물어볼 터미널이 없습니다. 확인 없이 실행하려면 --yes를 주세요",
    ),
    "console.follow_failed": (
        "✗ could not follow the rollout: {error}",
        "✗ 배포 진행 상황을 따라가지 못했습니다: {error}",
    ),
    # ---- help ----
    "help.title": ("What I can do", "사용할 수 있는 명령"),
    "help.admin": ("Administration (typed as shown)", "관리 (표시된 대로 입력)"),
    "help.summary": (
        "{count} commands; ask in Korean or English",
        "명령 {count}개, 한국어나 영어로 물어보세요",
    ),
    "help.footer": (
        'Say it in your own words too: "nginx 상태 알려줘", "scale api to 3 in staging".',
        '자연어로도 됩니다: "nginx 상태 알려줘", "staging api 3개로 늘려줘".',
    ),
}

CATALOGUE: dict[str, dict[Lang, str]] = {key: {"en": en, "ko": ko} for key, (en, ko) in _M.items()}


def t(lang: Lang, key: str, **values: Any) -> str:
    """The message `key` in `lang` (English for anything but "ko"), formatted with `values`."""
    entry = CATALOGUE[key]
    return entry["ko" if lang == "ko" else "en"].format(**values)


def kind_label(lang: Lang, kind: str) -> str:
    entry = CATALOGUE.get(f"kind.{kind}")
    return entry["ko" if lang == "ko" else "en"] if entry else kind


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
