"""ops.publish_frontend against a real moto server: objects, headers, order, stale clean-up, invalidation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from ops import publish_frontend as pf
from ops.stack_outputs import PROJECT_ROOT as ROOT
from ops.stack_outputs import AwsTarget, OpsError, load_env_config

REGION = "us-east-1"
TEST_ENV = "opstest"  # envs_dir fixture
BUCKET = "geoapp-assets-opstest"
PREFIX = "site/current"

SITE = {
    "index.html": "<!doctype html><script src=/assets/index-4f2a9c1b.js></script>",
    "about/index.html": "<!doctype html><p>about</p>",
    "assets/index-4f2a9c1b.js": "console.log('app')",
    "assets/index-4f2a9c1b.js.map": '{"version":3}',
    "assets/vendor.8e1f3a2b.mjs": "export default 1",
    "assets/index-9d8c7b6a.css": "body{margin:0}",
    "assets/logo-1a2b3c4d.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "fonts/inter-5e6f7a8b.woff2": "wOF2",
    "manifest.webmanifest": '{"name":"geoapp"}',
    "favicon.ico": "ico",
    "robots.txt": "User-agent: *",
    "data/world.geojson": '{"type":"FeatureCollection","features":[]}',
}

EXPECTED = {
    # rel path: (Content-Type, Cache-Control)
    "index.html": ("text/html; charset=utf-8", "no-cache"),
    "about/index.html": ("text/html; charset=utf-8", "no-cache"),
    "assets/index-4f2a9c1b.js": ("text/javascript; charset=utf-8", pf.CACHE_IMMUTABLE),
    "assets/index-4f2a9c1b.js.map": ("application/json; charset=utf-8", pf.CACHE_IMMUTABLE),
    "assets/vendor.8e1f3a2b.mjs": ("text/javascript; charset=utf-8", pf.CACHE_IMMUTABLE),
    "assets/index-9d8c7b6a.css": ("text/css; charset=utf-8", pf.CACHE_IMMUTABLE),
    "assets/logo-1a2b3c4d.svg": ("image/svg+xml; charset=utf-8", pf.CACHE_IMMUTABLE),
    "fonts/inter-5e6f7a8b.woff2": ("font/woff2", pf.CACHE_IMMUTABLE),
    "manifest.webmanifest": ("application/manifest+json; charset=utf-8", pf.CACHE_OTHER),
    "favicon.ico": ("image/x-icon", pf.CACHE_OTHER),
    "robots.txt": ("text/plain; charset=utf-8", pf.CACHE_OTHER),
    "data/world.geojson": ("application/geo+json; charset=utf-8", pf.CACHE_OTHER),
}


def build_site(root: Path, files: dict[str, str] = SITE) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def stack(aws: str) -> dict:
    """Assets bucket (with an old release and unrelated objects) and a distribution, made with boto3."""
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=aws)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/index.html", Body=b"old index", ContentType="text/html")
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/assets/index-00000000.js", Body=b"old")
    s3.put_object(Bucket=BUCKET, Key="site/current-previous/index.html", Body=b"not ours")
    s3.put_object(Bucket=BUCKET, Key="other/keep.txt", Body=b"not ours")
    cloudfront = boto3.client("cloudfront", region_name=REGION, endpoint_url=aws)
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "opstest",
            "Comment": "opstest",
            "Enabled": True,
            "DefaultRootObject": "index.html",
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "assets",
                        "DomainName": f"{BUCKET}.s3.amazonaws.com",
                        "OriginPath": f"/{PREFIX}",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "assets", "ViewerProtocolPolicy": "redirect-to-https"},
        }
    )["Distribution"]
    return {"s3": s3, "cloudfront": cloudfront, "distribution_id": distribution["Id"], "endpoint": aws}


def keys(s3, prefix: str = "") -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return {obj["Key"] for page in pages for obj in page.get("Contents", [])}


def test_cli_publishes_objects_with_headers_removes_stale_and_invalidates(stack, envs_dir, write_outputs, tmp_path, capsys):
    site = build_site(tmp_path / "dist")
    outputs = write_outputs(
        tmp_path / "outputs.json",
        {"assets_bucket": BUCKET, "assets_prefix": PREFIX, "cloudfront_distribution_id": stack["distribution_id"]},
    )

    code = pf.main([TEST_ENV, str(site), "--outputs-file", str(outputs), "--envs-dir", str(envs_dir), "--wait"])

    assert code == 0, capsys.readouterr().err
    s3 = stack["s3"]
    assert keys(s3, f"{PREFIX}/") == {f"{PREFIX}/{rel}" for rel in [*SITE, "config.json"]}, "exactly the new build and its config"
    assert keys(s3) - keys(s3, f"{PREFIX}/") == {"site/current-previous/index.html", "other/keep.txt"}
    for rel, (ctype, cache) in EXPECTED.items():
        head = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{rel}")
        assert (head["ContentType"], head["CacheControl"]) == (ctype, cache), rel
    body = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/index.html")["Body"].read().decode()
    assert body == SITE["index.html"]

    cloudfront = stack["cloudfront"]
    listed = cloudfront.list_invalidations(DistributionId=stack["distribution_id"])["InvalidationList"]
    assert listed["Quantity"] == 1
    inv = cloudfront.get_invalidation(DistributionId=stack["distribution_id"], Id=listed["Items"][0]["Id"])
    assert inv["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]
    assert "1 deleted" in capsys.readouterr().out


class RecordingTarget(AwsTarget):
    """The real moto target, recording S3/CloudFront calls and failing one upload like a dropped connection."""

    def __init__(self, endpoint: str, fail_key: str | None = None):
        super().__init__(region=REGION, endpoint_url=endpoint)
        object.__setattr__(self, "calls", [])
        object.__setattr__(self, "fail_key", fail_key)

    def client(self, service: str):
        client = super().client(service)

        def record(params, model, **_):
            key = params.get("Key", "")
            self.calls.append((model.name, key))
            if model.name == "PutObject" and key == self.fail_key:
                raise ConnectionError(f"simulated network failure on {key}")

        client.meta.events.register("before-parameter-build.*.*", record)
        return client


def test_uploads_assets_before_html_and_index_last(stack, tmp_path):
    site = build_site(tmp_path / "dist")
    target = RecordingTarget(stack["endpoint"])

    pf.publish(target, directory=site, bucket=BUCKET, prefix=PREFIX, distribution_id=stack["distribution_id"], log=lambda _: None)

    order = [call for call in target.calls if call[0] in ("PutObject", "DeleteObjects", "CreateInvalidation")]
    puts = [key for name, key in order if name == "PutObject"]
    assert puts[-1] == f"{PREFIX}/index.html"
    html_start = min(i for i, key in enumerate(puts) if key.endswith(".html"))
    assert all(not key.endswith(".html") for key in puts[:html_start])
    hashed = [i for i, key in enumerate(puts) if pf.is_hashed(key)]
    unhashed_assets = [i for i, key in enumerate(puts) if not pf.is_hashed(key) and not key.endswith(".html")]
    assert max(hashed) < min(unhashed_assets)
    assert [name for name, _ in order[-2:]] == ["DeleteObjects", "CreateInvalidation"]


def test_failed_upload_keeps_the_old_site_whole(stack, tmp_path):
    site = build_site(tmp_path / "dist")
    target = RecordingTarget(stack["endpoint"], fail_key=f"{PREFIX}/robots.txt")
    before = {k: stack["s3"].get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys(stack["s3"])}

    with pytest.raises(Exception, match="simulated network failure"):
        pf.publish(target, directory=site, bucket=BUCKET, prefix=PREFIX, distribution_id=stack["distribution_id"], log=lambda _: None)

    s3 = stack["s3"]
    for key, body in before.items():  # every old object is still there, index.html unchanged
        assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == body, key
    assert not [c for c in target.calls if c[0] in ("DeleteObjects", "CreateInvalidation")]
    assert stack["cloudfront"].list_invalidations(DistributionId=stack["distribution_id"])["InvalidationList"]["Quantity"] == 0


def test_second_publish_skips_unchanged_hashed_assets(stack, tmp_path):
    site = build_site(tmp_path / "dist")
    target = AwsTarget(region=REGION, endpoint_url=stack["endpoint"])
    args = dict(directory=site, bucket=BUCKET, prefix=PREFIX, distribution_id=stack["distribution_id"], log=lambda _: None)
    pf.publish(target, **args)

    again = pf.publish(target, **args)

    hashed = {f"{PREFIX}/{rel}" for rel, (_, cache) in EXPECTED.items() if cache == pf.CACHE_IMMUTABLE}
    assert set(again.unchanged) == hashed
    assert set(again.uploaded) == {f"{PREFIX}/{rel}" for rel in SITE} - hashed
    assert again.deleted == []


def test_directory_without_index_html_is_refused_and_nothing_changes(stack, tmp_path):
    site = build_site(tmp_path / "dist", {"assets/app-12345678.js": "x"})
    before = keys(stack["s3"])

    with pytest.raises(OpsError, match="no index.html"):
        pf.publish(
            AwsTarget(REGION, stack["endpoint"]),
            directory=site,
            bucket=BUCKET,
            prefix=PREFIX,
            distribution_id=stack["distribution_id"],
            log=lambda _: None,
        )

    assert keys(stack["s3"]) == before


def test_missing_output_is_a_one_line_error(envs_dir, write_outputs, tmp_path, capsys):
    site = build_site(tmp_path / "dist")
    outputs = write_outputs(tmp_path / "outputs.json", {"assets_bucket": BUCKET})

    code = pf.main([TEST_ENV, str(site), "--outputs-file", str(outputs), "--envs-dir", str(envs_dir)])

    assert code == 1
    err = capsys.readouterr().err
    assert re.search(r"has no output 'assets_prefix'", err) and "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "hashed"),
    [
        ("index-4f2a9c1b.js", True),
        ("main.8e1f3a2b.chunk.css", True),
        ("787.8e1f3a2b.chunk.js", True),
        ("index-4f2a9c1b.js.map", True),
        ("my-component.js", False),  # 9 letters, no digit: a word, not a hash
        ("logo-DarkMode.svg", False),
        ("favicon.ico", False),
        ("app.1234.js", False),  # too short to be a content hash
    ],
)
def test_hash_detection(name, hashed):
    assert pf.is_hashed(name) is hashed


def test_unknown_and_compressed_types():
    assert pf.content_type("blob.unknownext") == "application/octet-stream"
    assert pf.content_type("tiles.tar.gz") == "application/gzip"
    assert pf.content_type("INDEX.HTML") == "text/html; charset=utf-8"


# -- config.json: the SPA's runtime configuration, written from the env file at publish time -------

CLIENT_ID = "k3Vd9QbXw2Lr8TmZ4pYa7NcE1sHu6GfJ"  # the shape of an Auth0 client id (32 letters and digits)
LOCAL_AUTH0 = {"domain": "geoapp-dev.eu.auth0.com", "audience": "https://api.local.geoapp.example.com"}  # envs/local.toml


@pytest.fixture
def run_cli(stack, envs_dir, write_outputs, tmp_path, monkeypatch, capsys):
    """``cli(site, *flags)``: runs the command against the test's stack; returns (exit code, stderr)."""
    monkeypatch.delenv(pf.CLIENT_ID_VAR, raising=False)
    outputs = write_outputs(
        tmp_path / "outputs.json",
        {"assets_bucket": BUCKET, "assets_prefix": PREFIX, "cloudfront_distribution_id": stack["distribution_id"]},
    )

    def run(site: Path, *flags: str) -> tuple[int, str]:
        code = pf.main([TEST_ENV, str(site), "--outputs-file", str(outputs), "--envs-dir", str(envs_dir), *flags])
        return code, capsys.readouterr().err

    return run


def published_config(s3) -> tuple[dict, str, str]:
    obj = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/config.json")
    return json.loads(obj["Body"].read()), obj["ContentType"], obj["CacheControl"]


def test_cli_writes_config_json_with_sign_in_and_no_cache(run_cli, stack, tmp_path):
    site = build_site(tmp_path / "dist")

    code, err = run_cli(site, "--client-id", CLIENT_ID)

    assert code == 0, err
    body, ctype, cache = published_config(stack["s3"])
    assert (ctype, cache) == ("application/json; charset=utf-8", "no-cache")
    assert body == {
        "apiBase": "/api",
        "auth0": {"domain": LOCAL_AUTH0["domain"], "clientId": CLIENT_ID, "audience": LOCAL_AUTH0["audience"]},
        "basemapStyleUrl": None,
        "defaultCollection": None,
        "publicReads": True,
    }
    assert not (site / "config.json").exists(), "the build folder is left as it was"


def test_without_a_client_id_the_config_has_no_sign_in(run_cli, stack, tmp_path, monkeypatch):
    site = build_site(tmp_path / "dist")

    code, err = run_cli(site)

    assert code == 0, err
    assert published_config(stack["s3"])[0]["auth0"] is None
    monkeypatch.setenv(pf.CLIENT_ID_VAR, CLIENT_ID)  # CI gives it per environment this way
    assert run_cli(site)[0] == 0
    assert published_config(stack["s3"])[0]["auth0"]["clientId"] == CLIENT_ID


def test_the_builds_own_config_json_is_published_as_is_and_no_config_writes_none(run_cli, stack, tmp_path):
    own = '{"apiBase": "https://api.example.com/api", "auth0": null, "publicReads": true}'
    site = build_site(tmp_path / "dist", {**SITE, "config.json": own})

    assert run_cli(site, "--client-id", CLIENT_ID)[0] == 0

    obj = stack["s3"].get_object(Bucket=BUCKET, Key=f"{PREFIX}/config.json")
    assert (obj["Body"].read().decode(), obj["CacheControl"]) == (own, "no-cache")

    assert run_cli(build_site(tmp_path / "dist2"), "--no-config")[0] == 0
    assert f"{PREFIX}/config.json" not in keys(stack["s3"]), "--no-config: the old config.json is stale, so deleted"


@pytest.mark.parametrize("bad", ["", "my client id", "abc/../../x", "x" * 129, 'k3Vd9"}'])
def test_bad_client_id_is_a_one_line_error_and_nothing_changes(run_cli, stack, tmp_path, bad):
    site = build_site(tmp_path / "dist")
    before = {k: stack["s3"].head_object(Bucket=BUCKET, Key=k)["ETag"] for k in keys(stack["s3"])}

    code, err = run_cli(site, "--client-id", bad)

    assert code == 1
    assert "is not a client id" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert {k: stack["s3"].head_object(Bucket=BUCKET, Key=k)["ETag"] for k in keys(stack["s3"])} == before
    assert stack["cloudfront"].list_invalidations(DistributionId=stack["distribution_id"])["InvalidationList"]["Quantity"] == 0


def test_private_reads_without_a_client_id_is_refused(run_cli, stack, envs_dir, tmp_path):
    env_file = envs_dir / f"{TEST_ENV}.toml"
    text, count = re.subn(r"(?m)^\[api\]$", "[api]\npublic_reads = false", env_file.read_text(encoding="utf-8"))
    assert count == 1
    env_file.write_text(text, encoding="utf-8")
    site = build_site(tmp_path / "dist")

    code, err = run_cli(site)

    assert code == 1 and "public_reads is false" in err and len(err.strip().splitlines()) == 1, err
    assert f"{PREFIX}/config.json" not in keys(stack["s3"])
    assert run_cli(site, "--client-id", CLIENT_ID)[0] == 0
    assert published_config(stack["s3"])[0]["publicReads"] is False


def test_runtime_config_of_the_real_environments_has_the_frontend_schemas_keys():
    dev = json.loads((ROOT / "frontend" / "devtools" / "config.dev.json").read_text(encoding="utf-8"))
    for env in ("staging", "production"):
        config = load_env_config(env)
        made = pf.runtime_config(config, CLIENT_ID)
        assert set(made) == set(dev), env
        assert made["auth0"] == {"domain": config.auth0.domain, "clientId": CLIENT_ID, "audience": config.auth0.audience}


def test_the_publish_target_comes_from_the_env_stacks_ssm_parameter(stack, envs_dir, tmp_path, capsys):
    """What the Jenkinsfile runs as geoapp-frontend-publish-<env>, which may not read the Terraform state."""
    from environment.names import publish_target_parameter_name

    config = load_env_config(TEST_ENV, envs_dir)
    name = publish_target_parameter_name(config)
    args = [TEST_ENV, str(build_site(tmp_path / "dist")), "--envs-dir", str(envs_dir), "--target-from-parameter"]

    assert pf.main(args) == 1
    assert f"SSM parameter {name} does not exist: set [publish] jenkins_principal_arn in" in capsys.readouterr().err
    assert keys(stack["s3"], f"{PREFIX}/") == {f"{PREFIX}/index.html", f"{PREFIX}/assets/index-00000000.js"}, "nothing written"

    target = {"assets_bucket": BUCKET, "assets_prefix": PREFIX, "cloudfront_distribution_id": stack["distribution_id"]}
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=stack["endpoint"])
    ssm.put_parameter(Name=name, Type="String", Value=json.dumps(target), Overwrite=True)

    assert pf.main(args) == 0, capsys.readouterr().err
    assert keys(stack["s3"], f"{PREFIX}/") == {f"{PREFIX}/{rel}" for rel in [*SITE, "config.json"]}
    assert stack["cloudfront"].list_invalidations(DistributionId=stack["distribution_id"])["InvalidationList"]["Quantity"] == 1
