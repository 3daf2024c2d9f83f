"""A local CA and a server certificate for the database, made with ``cryptography``.

The server certificate's SAN names the Aurora endpoint read back from the emulator (and
``127.0.0.1``), so the API verifies the host name locally exactly as it does on AWS with
the RDS CA bundle. Files (PEM, in ``<state>/dataplane/tls/``): ``ca.pem`` (what the API
is given as its CA bundle), ``server.pem`` + ``server-key.pem`` (MariaDB's). They are
reused while the CA is valid and the certificate names the same endpoint.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 30
"""Lifetime of the local CA and server certificate (re-made when fewer than 2 days are left)."""


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "geoapp localaws"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def make_ca(common_name: str = "geoapp local CA") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed CA (also used by tests to make a *wrong* CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _server_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, dns_name: str
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName([x509.DNSName(dns_name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(dns_name if len(dns_name) <= 64 else "geoapp local database"))  # the SAN names the host
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(ca.not_valid_after_utc)
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _still_good(files: TlsFiles, dns_name: str) -> bool:
    if not all(p.is_file() for p in (files.ca, files.cert, files.key)):
        return False
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    return dns_name in names and cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=2)


def ensure_server_tls(directory: Path, dns_name: str) -> TlsFiles:
    """CA + server certificate for ``dns_name`` in ``directory`` (made once, then reused)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(ca=directory / "ca.pem", cert=directory / "server.pem", key=directory / "server-key.pem")
    if _still_good(files, dns_name):
        return files
    ca_key, ca = make_ca()
    key, cert = _server_cert(ca_key, ca, dns_name)
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.touch(mode=0o600)
    files.key.write_bytes(_pem_key(key))
    return files


def write_ca(path: Path, common_name: str = "some other CA") -> Path:
    """Write a fresh, unrelated CA certificate to ``path`` (the 'wrong CA' of the tests)."""
    _, ca = make_ca(common_name)
    path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return path
