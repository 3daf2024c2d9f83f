"""Scan synthesized output (``cdktf.out``) for anything that looks like a secret.

Three nets, over every string in every JSON file (JSON-encoded strings such as
``container_definitions`` are opened and scanned too):

1. **Known key shapes**: detect-secrets' regex detectors (AWS access keys, private keys,
   JWTs, Slack, GitHub, Stripe, Twilio, SendGrid, npm, Discord, Mailchimp, Artifactory,
   Azure storage keys, basic-auth URLs, Square), plus the shapes the synth-time guard-rails
   refuse in container environments (``modules.guardrails.SECRET_SHAPES``: a PEM header
   alone is enough there).
2. **Secret-named literals**: a key named like a secret (``password``, ``secret``,
   ``token``, ...; for container environments, the variable's name) whose value is a
   literal rather than a Terraform reference or an ARN; also ``password = "..."``-style
   assignments inside Terraform expressions (``jsonencode({...})``).
3. **High entropy**: runs of base64/URL-safe characters (>= 20, mixing letters and digits)
   with Shannon entropy >= 4.0 bits per character, and hex runs (>= 32) with >= 3.0,
   unless an :data:`ALLOWED_HIGH_ENTROPY` pattern says what the string is.

cdktf's own metadata (the ``"//"`` blocks: construct paths and logical ids) is skipped:
cdktf writes it from construct names, and it is never sent to AWS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from modules.guardrails import secret_shapes_in

SHAPE_DETECTORS = (
    AWSKeyDetector(),
    PrivateKeyDetector(),
    JwtTokenDetector(),
    SlackDetector(),
    GitHubTokenDetector(),
    StripeDetector(),
    TwilioKeyDetector(),
    SendGridDetector(),
    NpmDetector(),
    DiscordBotTokenDetector(),
    MailchimpDetector(),
    ArtifactoryDetector(),
    AzureStorageKeyDetector(),
    BasicAuthDetector(),
    SquareOAuthDetector(),
)
_entropy = Base64HighEntropyString().calculate_shannon_entropy

SECRET_KEY = re.compile(r"passw(or)?d|secret|token|api_?key|private_?key|credential|access_?key", re.IGNORECASE)
#: A whole value Terraform computes (a reference or a function call), not a literal.
EXPRESSION = re.compile(r"\$\{.*\}", re.DOTALL)
ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:\S+")
#: ``"password" = "literal"`` / ``password: "literal"`` inside a Terraform expression or text.
ASSIGNED_SECRET = re.compile(
    r"""["']?([A-Za-z_]*(?:passw(?:or)?d|secret|token|api_?key|private_?key)[A-Za-z_]*)["']?\s*[=:]\s*"([^"$\s][^"]*)\"""",
    re.IGNORECASE,
)

#: Secret-named keys whose literal values are known not to be secrets, and why.
ALLOWED_SECRET_NAMED: tuple[tuple[re.Pattern[str], re.Pattern[str], str], ...] = (
    (
        re.compile(r"secretsmanager"),
        re.compile(r"https?://(127\.0\.0\.1|localhost)(:\d+)?/?"),
        "the emulator's Secrets Manager endpoint URL (provider endpoints block), not a credential",
    ),
    (
        re.compile(r"token\.actions\.githubusercontent\.com:(aud|sub|repository|environment|ref|job_workflow_ref)"),
        re.compile(
            r"sts\.amazonaws\.com|repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:[A-Za-z0-9_:/.*-]+"
            r"|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./*-]+@[A-Za-z0-9_./*-]+)?"  # owner/repo, job_workflow_ref
            r"|[A-Za-z0-9_-]+|refs/(heads|tags)/[A-Za-z0-9_./*-]+"  # GitHub environment, git ref
        ),
        "GitHub OIDC claim in a role's trust condition (audience, subject, repository, environment, ref, workflow), not a credential",
    ),
    (
        re.compile(r"token_dialect"),
        re.compile(r"access_token(_authz)?|rfc9068_profile(_authz)?"),
        "Auth0 enum naming the access-token format the API receives",
    ),
)

#: High-entropy strings that are known identifiers, each with what it is and why it is harmless.
ALLOWED_HIGH_ENTROPY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[A-Za-z0-9_-]+_[0-9A-F]{8}"), "cdktf logical id (construct path + 8-hex hash), in references and depends_on"),
    (
        re.compile(r"(?:(vpc|subnet|security-group)/)?(vpc|subnet|sg|pl|igw|rtb|nat|eni|vpce)-[0-9a-f]{8,17}"),
        "VPC resource id from an env file: names a resource, grants nothing",
    ),
    (
        re.compile(r"(?:[a-z-]+/)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
        "UUID (ACM certificate id, CloudFront managed policy id): public identifier",
    ),
    (re.compile(r"[a-z][a-z0-9/-]*-\d{12}"), "name that ends in the 12-digit AWS account id (state bucket and its alias)"),
    (re.compile(r"\d{4}\.\d{2}\.\d{2}-[0-9a-f]{7,40}"), "image tag: release date + git commit"),
    (re.compile(r"stacks/[a-z0-9-]+(/[A-Za-z0-9_-]*)?"), "path of a stack's folder in cdktf.out (manifest.json)"),
    (re.compile(r"ELBSecurityPolicy(-[A-Za-z0-9]+)+"), "name of an AWS-defined TLS policy of a load balancer listener"),
    (re.compile(r"[a-z0-9-]*-\d{12}(/[A-Za-z0-9_-]+)*/?"), "key path in a bucket named after the account id (Terraform state objects)"),
)

#: JSON paths whose strings are labels or public values however random they look, and why.
ALLOWED_HIGH_ENTROPY_PATHS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r".*\.Sid"), "IAM statement id: a label chosen by the author"),
    (re.compile(r".*\.thumbprint_list\[\d+\]"), "public certificate thumbprint of GitHub's OIDC issuer"),
)
ENTROPY_BASE64 = 4.0
ENTROPY_HEX = 3.0
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=_-]{20,}")
_REFERENCE = re.compile(r"\$\{[^{}]*\}")
_HEX_RUN = re.compile(r"\b[0-9a-fA-F]{32,}\b")


@dataclass(frozen=True)
class Finding:
    file: str
    path: str
    kind: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.file} {self.path}: {self.kind}: {self.excerpt}"


def _redact(value: str) -> str:
    value = value.replace("\n", "\\n")
    return value if len(value) <= 12 else f"{value[:6]}...{value[-4:]} ({len(value)} chars)"


def _strings(node, path: str = "") -> Iterator[tuple[str, str | None, str]]:
    """(JSON path, key it sits under, string) for every string, opening JSON-encoded strings."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "//":
                continue  # cdktf metadata: construct paths and logical ids
            if isinstance(value, str):
                yield from _leaf(f"{path}.{key}", key, value)
            else:
                yield from _strings(value, f"{path}.{key}")
        if set(node) >= {"name", "value"} and isinstance(node["name"], str) and isinstance(node["value"], str):
            yield f"{path}[{node['name']}]", node["name"], node["value"]  # container environment entry
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                yield from _leaf(f"{path}[{i}]", None, value)
            else:
                yield from _strings(value, f"{path}[{i}]")


def _leaf(path: str, key: str | None, value: str) -> Iterator[tuple[str, str | None, str]]:
    stripped = value.strip()
    if stripped[:1] in "[{":
        try:
            yield from _strings(json.loads(stripped), path + "<json>")
            return
        except json.JSONDecodeError:
            pass
    yield path, key, value


def _literal_secret(key: str, value: str) -> bool:
    if not value.strip() or EXPRESSION.fullmatch(value.strip()) or ARN.fullmatch(value.strip()):
        return False
    return not any(k.fullmatch(key) and v.fullmatch(value) for k, v, _ in ALLOWED_SECRET_NAMED)


def scan_value(file: str, path: str, key: str | None, value: str) -> list[Finding]:
    findings = []
    for detector in SHAPE_DETECTORS:
        for match in detector.analyze_string(value):
            findings.append(Finding(file, path, detector.secret_type, _redact(match)))
    for shape in secret_shapes_in(value):
        findings.append(Finding(file, path, shape, _redact(value)))
    if key and SECRET_KEY.search(key) and _literal_secret(key, value):
        findings.append(Finding(file, path, f"literal value under secret-named key {key!r}", _redact(value)))
    for name, literal in ASSIGNED_SECRET.findall(value):
        findings.append(Finding(file, path, f"literal assigned to {name!r}", _redact(literal)))
    if any(p.fullmatch(path) for p, _ in ALLOWED_HIGH_ENTROPY_PATHS):
        return findings
    text = _REFERENCE.sub(" ", value)  # "${aws_x.y.arn}" names a resource; it is not a value
    for run in _BASE64_RUN.findall(text):
        mixed = re.search(r"[A-Za-z]", run) and re.search(r"\d", run)
        if mixed and _entropy(run) >= ENTROPY_BASE64 and not any(p.fullmatch(run) for p, _ in ALLOWED_HIGH_ENTROPY):
            findings.append(Finding(file, path, f"high-entropy string ({_entropy(run):.2f} bits/char)", _redact(run)))
    for run in _HEX_RUN.findall(text):
        if _entropy(run) >= ENTROPY_HEX and not any(p.fullmatch(run) for p, _ in ALLOWED_HIGH_ENTROPY):
            findings.append(Finding(file, path, f"high-entropy hex ({_entropy(run):.2f} bits/char)", _redact(run)))
    return findings


def scan_document(file: str, doc) -> list[Finding]:
    return [f for path, key, value in _strings(doc) for f in scan_value(file, path, key, value)]


def scan_tree(root: Path) -> tuple[list[Finding], int]:
    """Findings in every file under ``root`` (JSON parsed, other text line by line), and the number of files read."""
    findings, files = [], 0
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = str(file.relative_to(root))
        text = file.read_text(encoding="utf-8", errors="replace")
        files += 1
        try:
            findings += scan_document(rel, json.loads(text))
        except json.JSONDecodeError:
            for n, line in enumerate(text.splitlines(), start=1):
                findings += scan_value(rel, f"line {n}", None, line)
    return findings, files
