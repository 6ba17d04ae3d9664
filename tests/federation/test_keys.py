"""Signing keys: created once, encrypted at rest, rotatable."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from federation.models import ActorKey, Delivery
from federation.protocol import keys, signatures
from tests.federation.conftest import fan_out_all, make_follower

pytestmark = pytest.mark.django_db


def test_a_creator_key_is_made_once_and_the_private_half_is_encrypted(alice):
    key = keys.key_for_creator(alice)
    assert keys.key_for_creator(alice).pk == key.pk
    assert "PRIVATE KEY" not in key.private_key_encrypted
    private_pem = keys.decrypt_private_key(key.private_key_encrypted)
    private_key = signatures.load_private_key(private_pem)
    assert signatures.public_pem_of(private_key) == key.public_key_pem


def test_the_instance_key_is_a_single_row(db):
    first = keys.key_for_instance()
    assert keys.key_for_instance().pk == first.pk
    assert ActorKey.objects.filter(is_instance_key=True).count() == 1


def test_keys_survive_rotating_the_encryption_key(alice, settings):
    old = Fernet.generate_key().decode()
    settings.FEDERATION_KEY_ENCRYPTION_KEYS = [old]
    key = keys.key_for_creator(alice)
    settings.FEDERATION_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    assert "PRIVATE KEY" in keys.decrypt_private_key(key.private_key_encrypted)
    settings.FEDERATION_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(keys.KeyDecryptionError):
        keys.decrypt_private_key(key.private_key_encrypted)


def test_signer_signs_with_the_published_key(alice):
    signer = keys.signer_for_creator(alice)
    assert signer.key_id == "https://hub.test/users/alice#main-key"
    headers = signatures.sign_request(
        method="POST",
        url="https://remote.example/inbox",
        key_id=signer.key_id,
        private_key=signer.private_key,
        body=b"{}",
        headers={"Content-Type": "application/activity+json"},
    )
    signatures.verify_request(
        method="POST",
        path="/inbox",
        query="",
        headers=headers,
        body=b"{}",
        public_key=signatures.load_public_key(
            keys.key_for_creator(alice).public_key_pem
        ),
    )


def test_rotate_key_command_replaces_the_key_and_queues_an_update(alice, capsys):
    make_follower(alice, domain="a.example")
    make_follower(alice, domain="b.example", shared=False)
    old_pem = keys.key_for_creator(alice).public_key_pem

    call_command("rotate_key", "alice")
    assert fan_out_all() == 2

    new_pem = keys.key_for_creator(alice).public_key_pem
    assert new_pem != old_pem
    update = alice.outbound_activities.get(activity_type="Update")
    assert update.payload["object"]["publicKey"]["publicKeyPem"] == new_pem
    assert "#updates/" in update.ap_id
    assert sorted(d.inbox_url for d in update.deliveries.all()) == [
        "https://a.example/inbox",
        "https://b.example/users/bob/inbox",
    ]
    assert "an Update goes to its followers' servers" in capsys.readouterr().out


def test_rotate_key_refuses_an_unknown_handle(db):
    with pytest.raises(CommandError, match="no active creator"):
        call_command("rotate_key", "nobody")
    assert not Delivery.objects.exists()
