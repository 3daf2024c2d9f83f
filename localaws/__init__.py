"""Local emulated AWS: moto in server mode on loopback, with shims for the AWS provider.

    python -m localaws start [--port 4599] [--state-dir .local]   # background
    python -m localaws status | stop
    python -m localaws serve  [--port 4599]                       # foreground

In Python (tests)::

    with LocalAWS(port=0) as aws:
        boto3.client("s3", endpoint_url=aws.endpoint, ...)

See ``docs/emulator.md`` for the gaps the shims close and ``NOTES.md`` for the provider
settings a stack needs to talk to it.
"""

from .server import (
    ACCOUNT_ID,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_REGION,
    DEFAULT_STATE_DIR,
    DUMMY_CREDENTIALS,
    LocalAWS,
    LocalAWSError,
    client_env,
    free_port,
    is_answering,
    start_background,
    status,
    stop_background,
)

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_REGION",
    "DEFAULT_STATE_DIR",
    "DUMMY_CREDENTIALS",
    "LocalAWS",
    "LocalAWSError",
    "client_env",
    "free_port",
    "is_answering",
    "start_background",
    "status",
    "stop_background",
]
