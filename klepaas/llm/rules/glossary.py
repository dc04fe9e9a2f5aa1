"""Korean descriptive names → English words, used ONLY to match names that already exist.

People say "결제 서버" for the app called `payment`. The glossary turns Korean words into the English
words apps are usually named with; `match_apps` then looks for an existing app (from the context's
`app_names`) whose name contains one of them as a component (`payment`, `payment-api`,
`order-service`). Nothing here ever produces a name on its own: with no `app_names`, or no match,
the planner asks which app is meant.

Transliterations (엔진엑스 → nginx, 레디스 → redis) are in the same table for the same use.
"""

from __future__ import annotations

import re

# Korean word → English name components, most likely first.
DOMAIN: dict[str, tuple[str, ...]] = {
    "결제": ("payment", "payments", "pay", "billing", "checkout"),
    "주문": ("order", "orders"),
    "장바구니": ("cart", "basket"),
    "인증": ("auth", "authentication", "oauth", "login"),
    "로그인": ("login", "auth"),
    "사용자": ("user", "users", "member", "account"),
    "유저": ("user", "users"),
    "회원": ("member", "user", "account"),
    "계정": ("account", "accounts", "user"),
    "프론트엔드": ("frontend", "web", "front", "ui"),
    "프론트": ("frontend", "web", "front", "ui"),
    "프런트": ("frontend", "web", "front", "ui"),
    "게이트웨이": ("gateway", "gw", "api-gateway"),
    "백엔드": ("backend", "api", "server"),
    "검색": ("search",),
    "알림": ("notification", "notifications", "notify", "alert", "push"),
    "상품": ("product", "products", "catalog", "item"),
    "재고": ("inventory", "stock"),
    "배송": ("shipping", "delivery"),
    "리뷰": ("review", "reviews"),
    "채팅": ("chat",),
    "메일": ("mail", "email"),
    "이메일": ("email", "mail"),
    "쿠폰": ("coupon", "coupons"),
    "포인트": ("point", "points"),
    "추천": ("recommend", "recommendation", "reco"),
    "정산": ("settlement", "billing"),
    "관리자": ("admin",),
    "어드민": ("admin",),
    "웹": ("web", "www", "frontend"),
    "워커": ("worker", "workers"),
    "배치": ("batch",),
    "스케줄러": ("scheduler", "cron"),
    "캐시": ("cache", "redis"),
    "데이터베이스": ("db", "database", "postgres", "mysql"),
    "디비": ("db", "database", "postgres", "mysql"),
    "큐": ("queue", "mq"),
    "파일": ("file", "files", "storage"),
    "이미지서버": ("image", "images", "media"),
    "미디어": ("media",),
    "모니터링": ("monitoring", "grafana", "prometheus"),
    "블로그": ("blog",),
    "게시판": ("board", "forum"),
    "예약": ("reservation", "booking"),
    "메인": ("main", "web", "home"),
    "홈페이지": ("web", "home", "homepage", "www"),
    # transliterations
    "엔진엑스": ("nginx",),
    "엔지닉스": ("nginx",),
    "레디스": ("redis",),
    "몽고디비": ("mongodb", "mongo"),
    "몽고": ("mongo", "mongodb"),
    "카프카": ("kafka",),
    "포스트그레스": ("postgres", "postgresql"),
    "포스트그레": ("postgres", "postgresql"),
    "마이에스큐엘": ("mysql",),
    "그라파나": ("grafana",),
    "프로메테우스": ("prometheus",),
    "젠킨스": ("jenkins",),
    "엘라스틱서치": ("elasticsearch", "elastic"),
    "래빗엠큐": ("rabbitmq",),
    "에이피아이": ("api",),
    "아르고": ("argocd", "argo"),
}

# Role words that narrow a match ("결제 서버" prefers payment-api over payment-worker).
ROLES: dict[str, tuple[str, ...]] = {
    "서버": ("server", "api", "svc", "service", "backend"),
    "서비스": ("service", "svc", "api"),
    "에이피아이": ("api",),
    "워커": ("worker",),
    "배치": ("batch", "job"),
    "디비": ("db", "database"),
}

_GLUED = re.compile(r"([\uac00-\ud7a3]+)([a-z][a-z0-9\-]*)")
_KEYS = re.compile("|".join(sorted(map(re.escape, DOMAIN), key=len, reverse=True)))
_ROLE_KEYS = re.compile("|".join(sorted(map(re.escape, ROLES), key=len, reverse=True)))


def domain_words(korean_text: str) -> list[str]:
    """The Korean glossary words in a text, in order (spaces ignored: "결제서버" has "결제")."""
    compact = korean_text.replace(" ", "")
    return [m.group(0) for m in _KEYS.finditer(compact)]


def glued(text: str) -> dict[str, str]:
    """Latin names glued to a Korean description ("결제api" → {"api": "결제"}): the name is a part."""
    return {m.group(2): m.group(1) for m in _GLUED.finditer(text) if domain_words(m.group(1))}


def compound_apps(korean: str, part: str, app_names: list[str]) -> list[str]:
    """Existing apps named by a Korean description plus a latin part: 결제 + api → payment-api."""
    return [app for app in match_apps(korean, app_names) if part in re.split(r"[-.]", app) and app != part]


def first_english(word: str) -> str:
    return DOMAIN[word][0]


def match_apps(korean_text: str, app_names: list[str]) -> list[str]:
    """Existing apps the Korean description plausibly names, best first; [] when none does."""
    words = domain_words(korean_text)
    if not words or not app_names:
        return []
    roles = [r for m in _ROLE_KEYS.finditer(korean_text.replace(" ", "")) for r in ROLES[m.group(0)]]
    scored: list[tuple[float, str]] = []
    for app in app_names:
        parts = set(re.split(r"[-.]", app))
        score = 0.0
        for word in words:
            english = DOMAIN[word]
            if app in english:
                # The whole name is one of the word's translations: the likelier the translation
                # (the table lists them most likely first), the better, so that with both apps
                # present 결제 names `payment` rather than `checkout`.
                score += 3.0 - 0.01 * english.index(app)
            elif parts & set(english):
                score += 2.0
        if score == 0.0:
            continue
        if parts & set(roles):
            score += 0.5
        scored.append((score, app))
    if not scored:
        return []
    scored.sort(key=lambda item: (-item[0], len(item[1])))
    best = scored[0][0]
    return [app for score, app in scored if score == best]


def plausible_apps(korean_text: str, app_names: list[str], stem: int = 5) -> list[str]:
    """Every existing app the Korean description might name, loosely: a name component that shares
    its first `stem` letters with a translation ("notifier" for 알림 = notification/notify), or is
    one. For writes, where `match_apps`'s single best is not enough: another plausible app makes
    the request ambiguous."""
    words = domain_words(korean_text)
    english = {e for word in words for e in DOMAIN[word]}
    found: list[str] = []
    for app in app_names:
        parts = [p for p in re.split(r"[-.]", app) if p]
        if any(_close(part, e, stem) for part in parts for e in english):
            found.append(app)
    return found


def has_role(korean_text: str, app: str) -> bool:
    """Whether the app's name carries the role the text says ("결제 서버": payment-api, not
    payment-worker)."""
    roles = {r for m in _ROLE_KEYS.finditer(korean_text.replace(" ", "")) for r in ROLES[m.group(0)]}
    return bool(roles & set(re.split(r"[-.]", app)))


def _close(part: str, english: str, stem: int) -> bool:
    if part == english:
        return True
    return len(part) >= stem and len(english) >= stem and part[:stem] == english[:stem]
