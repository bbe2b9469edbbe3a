"""A tenancy's id is the uuid5 of its reference: the fast construction gives the very
UUID the standard library gives, for plain, long and non-ASCII references."""

from __future__ import annotations

import pickle
import uuid

import pytest

from domain.tenancy import NAMESPACE, tenancy_id_for


@pytest.mark.parametrize("ref", ["T0000001", "A", "HUUR/2026-001", "x" * 64, "Ærø-7", "ref with spaces", ""])
def test_a_tenancy_id_is_the_uuid5_of_its_reference(ref: str) -> None:
    expected = uuid.uuid5(NAMESPACE, f"tenancy:{ref}")
    got = tenancy_id_for(ref)
    assert got == expected
    assert got.int == expected.int and got.version == 5 and got.variant == uuid.RFC_4122
    assert hash(got) == hash(expected) and str(got) == str(expected) and got.hex == expected.hex
    assert got.is_safe == expected.is_safe
    assert pickle.loads(pickle.dumps(got)) == expected


def test_ids_of_many_references_match_the_standard_library() -> None:
    for i in range(2000):
        ref = f"T{i:07d}"
        assert tenancy_id_for(ref) == uuid.uuid5(NAMESPACE, f"tenancy:{ref}")
