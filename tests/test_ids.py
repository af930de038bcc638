import random
import string
import uuid

from hypothesis import given
from hypothesis import strategies as st

from emulator.core._ids import IdFactory


@given(st.integers(min_value=0, max_value=2**32))
def test_uuid4_matches_the_standard_library_for_the_same_bits(seed: int) -> None:
    ids, bits = IdFactory(seed), random.Random(seed)
    for _ in range(5):
        expected = uuid.UUID(int=bits.getrandbits(128), version=4)
        made = ids.uuid4()
        assert made == str(expected)
        assert uuid.UUID(made).version == 4


@given(st.integers(min_value=0, max_value=2**32))
def test_uuid4_bits_written_later_are_the_uuid4_of_the_same_draw(seed: int) -> None:
    ids, later = IdFactory(seed, kind="k"), IdFactory(seed, kind="k")
    drawn = [later.uuid4_bits() for _ in range(5)]
    assert [ids.uuid4() for _ in range(5)] == [IdFactory.uuid4_text(b) for b in drawn]


def test_ksuids_are_27_base62_characters_unique_and_seeded() -> None:
    first = [IdFactory(7).ksuid() for _ in range(1)] + [IdFactory(7).ksuid()]
    assert first[0] == first[1]  # same seed, same id: snapshots stay stable
    ids = IdFactory(1)
    made = [ids.ksuid() for _ in range(20_000)]
    assert len(set(made)) == len(made)
    alphabet = set(string.digits + string.ascii_letters)
    assert all(len(k) == 27 and set(k) <= alphabet for k in made)
    assert set("".join(made)) == alphabet  # every character is reachable


def test_a_ksuid_is_its_random_bytes_each_mapped_to_the_alphabet_modulo_62() -> None:
    alphabet = string.digits + string.ascii_uppercase + string.ascii_lowercase
    drawn = random.Random(3).randbytes(27)  # what IdFactory(3) draws for its first ksuid
    assert IdFactory(3).ksuid() == "".join(alphabet[b % 62] for b in drawn)
