"""Local actors' signing keys: created on first use, encrypted at rest.

Private keys are encrypted with Fernet under FEDERATION_KEY_ENCRYPTION_KEYS
(the first key encrypts, every key decrypts, so the encryption key can be
rotated). Without that setting a key is derived from SECRET_KEY.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import CreatorProfile
from federation.models import ActorKey
from federation.protocol import ids, signatures
from federation.protocol.client import Signer


class KeyDecryptionError(Exception):
    """A stored private key cannot be decrypted with the configured keys."""


def _fernet() -> MultiFernet:
    configured = list(getattr(settings, "FEDERATION_KEY_ENCRYPTION_KEYS", []))
    if not configured:
        digest = hashlib.sha256(
            b"creatorhub actor keys:" + settings.SECRET_KEY.encode()
        ).digest()
        configured = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key.encode()) for key in configured])


def encrypt_private_key(pem: str) -> str:
    return _fernet().encrypt(pem.encode()).decode()


def decrypt_private_key(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise KeyDecryptionError(
            "cannot decrypt an actor key: FEDERATION_KEY_ENCRYPTION_KEYS (or "
            "SECRET_KEY) changed since it was written"
        ) from exc


def _create_key(creator: CreatorProfile | None) -> ActorKey:
    private_pem, public_pem = signatures.generate_key_pair()
    return ActorKey.objects.create(
        creator=creator,
        is_instance_key=creator is None,
        public_key_pem=public_pem,
        private_key_encrypted=encrypt_private_key(private_pem),
    )


def key_for_creator(creator: CreatorProfile) -> ActorKey:
    """The creator's key, created the first time it is needed."""
    key = ActorKey.objects.filter(creator=creator).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _create_key(creator)
    except IntegrityError:  # another request created it first
        return ActorKey.objects.get(creator=creator)


def key_for_instance() -> ActorKey:
    key = ActorKey.objects.filter(is_instance_key=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _create_key(None)
    except IntegrityError:
        return ActorKey.objects.get(is_instance_key=True)


def signer_for_creator(creator: CreatorProfile) -> Signer:
    key = key_for_creator(creator)
    return Signer(
        key_id=ids.key_id(creator.handle),
        private_key=signatures.load_private_key(
            decrypt_private_key(key.private_key_encrypted)
        ),
    )


def instance_signer() -> Signer:
    """Signs fetches no creator is behind (servers in secure mode want one)."""
    key = key_for_instance()
    return Signer(
        key_id=ids.instance_key_id(),
        private_key=signatures.load_private_key(
            decrypt_private_key(key.private_key_encrypted)
        ),
    )


@transaction.atomic
def rotate_creator_key(creator: CreatorProfile) -> ActorKey:
    """Replace the creator's key pair; remote servers refetch on failure."""
    ActorKey.objects.filter(creator=creator).delete()
    return _create_key(creator)
