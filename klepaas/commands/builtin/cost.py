"""Unit prices and the arithmetic behind `cost_analysis`: an estimate, and labelled as one.

We price what pods *request* (CPU and memory), the way serverless Kubernetes bills: it is what the
scheduler reserves for them whatever they use, and it needs no metrics server. Pods without
requests cost nothing here and are counted separately, so the output can say so.

Unit prices: AWS Fargate on-demand, Linux/x86, region us-east-1 (N. Virginia), as published on
https://aws.amazon.com/fargate/pricing/ — USD 0.04048 per vCPU per hour and USD 0.004445 per GB
of memory per hour (AWS "GB" here is the binary GiB of the memory setting). A month is 730 hours
(8,760 hours a year / 12), the convention of the AWS and Google pricing calculators. Change these
constants to match your provider; nothing else depends on their values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from klepaas.k8s.models import Pod

CURRENCY = "USD"
PRICE_SOURCE = "AWS Fargate on-demand, Linux/x86, us-east-1 (aws.amazon.com/fargate/pricing)"
VCPU_HOUR = 0.04048
GIB_HOUR = 0.004445
HOURS_PER_MONTH = 730.0

GIB = 2**30


@dataclass(frozen=True)
class Prices:
    vcpu_hour: float = VCPU_HOUR
    gib_hour: float = GIB_HOUR
    hours_per_month: float = HOURS_PER_MONTH
    currency: str = CURRENCY
    source: str = PRICE_SOURCE

    def monthly(self, cpu_cores: float, memory_bytes: int) -> float:
        return (cpu_cores * self.vcpu_hour + memory_bytes / GIB * self.gib_hour) * self.hours_per_month


@dataclass
class AppCost:
    namespace: str
    app: str
    pods: int = 0
    cpu: float = 0.0  # requested cores
    memory: int = 0  # requested bytes
    pods_without_requests: int = 0
    monthly: float = 0.0


@dataclass
class CostReport:
    apps: list[AppCost] = field(default_factory=list)
    prices: Prices = field(default_factory=Prices)

    @property
    def monthly(self) -> float:
        return sum(a.monthly for a in self.apps)

    @property
    def cpu(self) -> float:
        return sum(a.cpu for a in self.apps)

    @property
    def memory(self) -> int:
        return sum(a.memory for a in self.apps)

    @property
    def pods(self) -> int:
        return sum(a.pods for a in self.apps)

    @property
    def pods_without_requests(self) -> int:
        return sum(a.pods_without_requests for a in self.apps)


def app_of(pod: Pod) -> str:
    """The app a pod belongs to: its deployment (ReplicaSet name minus the template hash), else its
    owner, else itself."""
    owner = pod.owner
    if owner is None:
        return pod.name
    pod_hash = pod.pod_template_hash
    if owner.kind == "ReplicaSet" and pod_hash and owner.name.endswith(f"-{pod_hash}"):
        return owner.name[: -len(pod_hash) - 1]
    return owner.name


def estimate(pods: Iterable[Pod], prices: Prices | None = None) -> CostReport:
    """Monthly cost of the requests of running and pending pods, per app, most expensive first."""
    prices = prices or Prices()
    apps: dict[tuple[str, str], AppCost] = defaultdict(lambda: AppCost("", ""))
    for pod in pods:
        if pod.phase in ("Succeeded", "Failed") or pod.meta.deleting:
            continue
        key = (pod.namespace, app_of(pod))
        cost = apps[key]
        cost.namespace, cost.app = key
        cost.pods += 1
        req = pod.requests
        if req.cpu_request is None and req.memory_request is None:
            cost.pods_without_requests += 1
        cost.cpu += req.cpu_request or 0.0
        cost.memory += req.memory_request or 0
    report = CostReport(prices=prices)
    for cost in apps.values():
        cost.monthly = prices.monthly(cost.cpu, cost.memory)
        report.apps.append(cost)
    report.apps.sort(key=lambda a: (-a.monthly, a.namespace, a.app))
    return report
