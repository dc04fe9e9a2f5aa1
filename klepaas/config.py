"""One Settings object, read from the environment (and `.env`) once by the CLI and passed down.

Groups mirror the parts of the system. Environment names are those of DESIGN §3. Nothing else
in the package reads `os.environ`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _config(prefix: str = "") -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", populate_by_name=True, frozen=True
    )


class SlackSettings(BaseSettings):
    model_config = _config()

    bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    # slack_sdk reads no such variable; we pass it as base_url so tests can point at a local Slack.
    api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    # Requests run at once after their ack; more wait their turn (keeps acks prompt in a burst).
    max_running: int = Field(4, ge=1, le=64, validation_alias="KLEPAAS_SLACK_CONCURRENCY")


class KubeSettings(BaseSettings):
    model_config = _config()

    # None means: the standard kubeconfig search, then in-cluster configuration.
    kubeconfig: Path | None = Field(None, validation_alias="KUBECONFIG")
    context: str | None = Field(None, validation_alias="KLEPAAS_KUBE_CONTEXT")
    staging_namespace: str = Field("staging", validation_alias="K8S_STAGING_NAMESPACE")
    production_namespace: str = Field("production", validation_alias="K8S_PRODUCTION_NAMESPACE")
    # Requests in flight per cluster (connections), and threads for watch streams and large bodies;
    # bounded so a burst of commands cannot exhaust the host or flood the API server.
    max_workers: int = Field(8, ge=1, le=64, validation_alias="KLEPAAS_KUBE_WORKERS")
    request_timeout_seconds: float = Field(10.0, gt=0, validation_alias="KLEPAAS_KUBE_TIMEOUT")
    # A scale above this is refused; a typo of 300 for 3 should not empty a node pool.
    max_replicas: int = Field(50, ge=1, validation_alias="KLEPAAS_MAX_REPLICAS")
    # Page size for list calls: one call per page, never one per object.
    list_page_size: int = Field(500, ge=10, validation_alias="KLEPAAS_LIST_PAGE_SIZE")
    rollout_timeout_seconds: float = Field(300.0, gt=0, validation_alias="KLEPAAS_ROLLOUT_TIMEOUT")
    # Set by Kubernetes in every pod; with no kubeconfig file it means "use the service account".
    service_host: str | None = Field(None, validation_alias="KUBERNETES_SERVICE_HOST")


class StorageSettings(BaseSettings):
    model_config = _config()

    database_url: str = Field("sqlite:///./klepaas.db", validation_alias="DATABASE_URL")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL")
    # How long a thread or console session remembers its last plan for follow-ups ("3개로 늘려줘"):
    # long enough for a conversation, short enough that an old thread does not act on a stale app.
    conversation_ttl_seconds: float = Field(1800.0, gt=0, validation_alias="KLEPAAS_CONVERSATION_TTL")


class LLMSettings(BaseSettings):
    model_config = _config()

    # Order of providers to try after the rules; empty means rules only.
    providers: str = Field("", validation_alias="KLEPAAS_LLM_PROVIDERS")
    anthropic_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "CLAUDE_API_KEY")
    )
    anthropic_base_url: str | None = Field(None, validation_alias="ANTHROPIC_BASE_URL")
    anthropic_model: str = Field("claude-haiku-5-5", validation_alias="ANTHROPIC_MODEL")
    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")
    openai_model: str = Field("gpt-4.1-mini", validation_alias="OPENAI_MODEL")
    gemini_api_key: SecretStr | None = Field(None, validation_alias="GEMINI_API_KEY")
    gemini_base_url: str | None = Field(None, validation_alias="GEMINI_BASE_URL")
    gemini_model: str = Field("gemini-2.5-flash", validation_alias="GEMINI_MODEL")
    timeout_seconds: float = Field(8.0, gt=0, validation_alias="KLEPAAS_LLM_TIMEOUT")

    @property
    def provider_order(self) -> list[str]:
        return [p.strip().lower() for p in self.providers.split(",") if p.strip()]


class PolicySettings(BaseSettings):
    model_config = _config()

    policy_file: Path | None = Field(None, validation_alias="KLEPAAS_POLICY_FILE")
    # Without a policy file, write/dangerous commands ask for approval (a confirmation on the console).
    require_approval_for_write: bool = Field(True, validation_alias="KLEPAAS_REQUIRE_APPROVAL_WRITE")
    approval_ttl_seconds: int = Field(900, gt=0, validation_alias="KLEPAAS_APPROVAL_TTL")


class HttpSettings(BaseSettings):
    model_config = _config()

    host: str = Field("127.0.0.1", validation_alias="KLEPAAS_HTTP_HOST")
    port: int = Field(8080, ge=0, le=65535, validation_alias="KLEPAAS_HTTP_PORT")


class IntegrationSettings(BaseSettings):
    model_config = _config()

    github_webhook_secret: SecretStr | None = Field(None, validation_alias="GITHUB_WEBHOOK_SECRET")
    prometheus_base_url: str | None = Field(None, validation_alias="PROMETHEUS_BASE_URL")
    alertmanager_url: str | None = Field(None, validation_alias="ALERTMANAGER_URL")


class GitHubSettings(BaseSettings):
    """GitHub: webhooks in, `workflow_dispatch` and OAuth out (side server, `build`)."""

    model_config = _config()

    # PyGithub's base URL; GitHub Enterprise (or a local test server) replaces it.
    api_url: str = Field("https://api.github.com", validation_alias="GITHUB_API_URL")
    # Where GitHub's OAuth endpoints live (login/oauth/authorize, access_token).
    web_url: str = Field("https://github.com", validation_alias="GITHUB_WEB_URL")
    # Either a token (fine-grained, Actions: write) or a GitHub App (id + private key PEM).
    token: SecretStr | None = Field(None, validation_alias="GITHUB_TOKEN")
    app_id: int | None = Field(None, validation_alias="GITHUB_APP_ID")
    app_private_key: SecretStr | None = Field(None, validation_alias="GITHUB_APP_PRIVATE_KEY")
    oauth_client_id: str | None = Field(None, validation_alias="GITHUB_CLIENT_ID")
    oauth_client_secret: SecretStr | None = Field(None, validation_alias="GITHUB_CLIENT_SECRET")
    # GitHub caps payloads at 25 MB; ours (push, release, workflow_run) are far smaller.
    webhook_max_bytes: int = Field(1_000_000, ge=1024, validation_alias="KLEPAAS_WEBHOOK_MAX_BYTES")


class SideServerSettings(BaseSettings):
    """MCP, Slack OAuth installs and the HTTP API of the side server."""

    model_config = _config()

    slack_client_id: str | None = Field(None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(None, validation_alias="SLACK_CLIENT_SECRET")
    # Where Slack's OAuth pages live (oauth/v2/authorize); the token exchange uses SLACK_API_URL.
    slack_oauth_url: str = Field("https://slack.com/oauth/v2/authorize", validation_alias="SLACK_OAUTH_URL")
    # Public URL of this server, for OAuth redirect URIs (https://klepaas.example.com).
    public_url: str | None = Field(None, validation_alias="KLEPAAS_PUBLIC_URL")
    # OAuth `state` values are good for this long: enough to click through, short for CSRF.
    oauth_state_ttl_seconds: int = Field(600, gt=0, validation_alias="KLEPAAS_OAUTH_STATE_TTL")
    # Fernet key for every secret at rest (Slack installations, stored tokens); one key, one field.
    encryption_key: SecretStr | None = Field(None, validation_alias="KLEPAAS_ENCRYPTION_KEY")
    # Google sign-in (OpenID Connect) links a Slack user to a Google account; off without a client id.
    google_client_id: str | None = Field(None, validation_alias="GOOGLE_CLIENT_ID")
    google_client_secret: SecretStr | None = Field(None, validation_alias="GOOGLE_CLIENT_SECRET")
    # Google's endpoints (from https://accounts.google.com/.well-known/openid-configuration); settable
    # so that tests and other OpenID providers can stand in.
    google_oauth_url: str = Field(
        "https://accounts.google.com/o/oauth2/v2/auth", validation_alias="GOOGLE_OAUTH_URL"
    )
    google_token_url: str = Field("https://oauth2.googleapis.com/token", validation_alias="GOOGLE_TOKEN_URL")
    google_jwks_url: str = Field(
        "https://www.googleapis.com/oauth2/v3/certs", validation_alias="GOOGLE_JWKS_URL"
    )
    google_userinfo_url: str = Field(
        "https://openidconnect.googleapis.com/v1/userinfo", validation_alias="GOOGLE_USERINFO_URL"
    )
    # The ID token's `iss`; Google uses both spellings, so both are accepted by default.
    google_issuers: str = Field(
        "https://accounts.google.com,accounts.google.com", validation_alias="GOOGLE_ISSUER"
    )


class AlertSettings(BaseSettings):
    model_config = _config()

    # Where alerts go when no channel is bound to their namespace and no severity channel matches.
    default_channel: str | None = Field(None, validation_alias="KLEPAAS_ALERT_CHANNEL")
    # "critical=C0PAGE,warning=C0WARN": severity → channel, before the namespace binding's channel.
    severity_channels: str = Field("", validation_alias="KLEPAAS_ALERT_SEVERITY_CHANNELS")
    # "C0DEV=22-08": no posts to that channel between 22:00 and 08:00 UTC (critical still posts).
    quiet_hours: str = Field("", validation_alias="KLEPAAS_ALERT_QUIET_HOURS")
    # One message edit per alert group at most this often; changes in between are folded in.
    throttle_seconds: float = Field(60.0, ge=0, validation_alias="KLEPAAS_ALERT_THROTTLE")
    # The cluster watcher (CrashLoopBackOff, OOMKilled, ImagePullBackOff, unschedulable, stuck rollouts).
    watch_cluster: bool = Field(False, validation_alias="KLEPAAS_WATCH_CLUSTER")
    # A crash-looping container is reported once it has restarted this many times.
    crash_restarts: int = Field(2, ge=1, validation_alias="KLEPAAS_ALERT_CRASH_RESTARTS")
    # Language of alert messages: "ko" for every channel, or per channel "C0DEV=ko,C0OPS=en" with
    # "*=ko" for the rest. Alerts have no person to take a language from; English by default.
    languages: str = Field("", validation_alias="KLEPAAS_ALERT_LANGUAGES")

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            if item.rpartition("=")[2].strip() not in ("en", "ko"):
                raise ValueError(f"KLEPAAS_ALERT_LANGUAGES: {item!r}: a language is en or ko")
        return value

    def language_for(self, channel: str | None) -> Literal["en", "ko"]:
        """The channel's own language, else the one for every channel ("ko" or "*=ko"), else en."""
        items = [part.strip() for part in self.languages.split(",") if part.strip()]
        chosen = _pairs(self.languages)
        fallback = chosen.get("*") or next((item for item in items if "=" not in item), "en")
        lang = chosen.get(channel or "", fallback)
        return "ko" if lang == "ko" else "en"

    def severity_map(self) -> dict[str, str]:
        return _pairs(self.severity_channels)

    def quiet_map(self) -> dict[str, tuple[int, int]]:
        quiet: dict[str, tuple[int, int]] = {}
        for channel, span in _pairs(self.quiet_hours).items():
            start, _, end = span.partition("-")
            quiet[channel] = (int(start) % 24, int(end) % 24)
        return quiet


def _pairs(text: str) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs}


class LogSettings(BaseSettings):
    model_config = _config("KLEPAAS_LOG_")

    level: str = "INFO"
    format: str = "auto"

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in {"auto", "json", "console"}:
            raise ValueError("KLEPAAS_LOG_FORMAT must be auto, json or console")
        return value


class Settings(BaseModel):
    """All settings, grouped. Build with `Settings.load()` once; pass it (or a group) down."""

    model_config = {"frozen": True}

    slack: SlackSettings = Field(default_factory=SlackSettings)
    kube: KubeSettings = Field(default_factory=KubeSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    integrations: IntegrationSettings = Field(default_factory=IntegrationSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    side: SideServerSettings = Field(default_factory=SideServerSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    @classmethod
    def load(cls) -> Settings:
        return cls()
