"""Member credentials: signing, the QR text, trust and revocation lists, offline checks."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, timedelta

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wayhome.access.cose import (
    CredentialFormatError,
    base45_decode,
    base45_encode,
    open_sign1,
    sign1,
)
from wayhome.access.credentials import (
    CREDENTIAL_PREFIX,
    CredentialClaims,
    CredentialRejectedError,
    IssuerKey,
    Qualification,
    RevocationList,
    RevocationStatus,
    SignatureError,
    SigningKey,
    StaleListError,
    TrustList,
    Verification,
    describe_age,
    generate_signing_key,
    issue_credential,
    issuer_key_from_pem,
    issuer_key_to_pem,
    key_id_of,
    revocation_list_from_signed,
    sign_revocation_list,
    sign_trust_list,
    signing_key_from_pem,
    signing_key_to_pem,
    verify_credential,
)
from wayhome.errors import ConflictError, InvalidParameterError, UsageError, WayhomeError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ridgeline() -> SigningKey:
    return generate_signing_key("Ridgeline SAR")


@pytest.fixture(scope="module")
def federation() -> SigningKey:
    return generate_signing_key("Mountain SAR Federation")


@pytest.fixture(scope="module")
def trust(ridgeline: SigningKey) -> TrustList:
    return TrustList(version=1, issued=T0, issuers=(ridgeline.issuer,))


def claims_of(
    credential_id: str = "C-ANN",
    *,
    agency: str = "Ridgeline SAR",
    issued: datetime = T0,
    valid_until: datetime = T0 + timedelta(days=365),
    qualifications: tuple[Qualification, ...] = (
        Qualification("SARTECH II", date(2027, 6, 30)),
        Qualification("Rope rescue"),
    ),
) -> CredentialClaims:
    return CredentialClaims(
        credential_id=credential_id,
        member_id="RS-042",
        name="Ann Lee",
        agency=agency,
        roles=("searcher", "team_leader"),
        qualifications=qualifications,
        issued=issued,
        valid_until=valid_until,
    )


def check(text: str, trust: TrustList, revocations: RevocationStatus | None = None) -> Verification:
    return verify_credential(text, trust=trust, revocations=revocations, now=NOW)


# --- the round trip ----------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_issue_then_verify_offline_gives_back_the_claims(
    ridgeline: SigningKey, trust: TrustList, compress: bool
) -> None:
    claims = claims_of()
    text = issue_credential(claims, ridgeline, compress=compress)
    assert text.startswith(CREDENTIAL_PREFIX)
    assert set(text[4:]) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    result = verify_credential(text, trust=trust, revocations=None, now=NOW)
    assert result.valid and result.code == "valid"
    assert result.claims == claims
    assert result.key_id == ridgeline.key_id and result.issuer == "Ridgeline SAR"
    assert result.reason.startswith("valid: Ann Lee (RS-042), Ridgeline SAR")
    assert result.revocation_note == (
        "revocation not checked: no revocation list from Ridgeline SAR held"
    )
    assert result.revocation_version is None and result.expired_qualifications == ()


def test_compression_is_used_only_when_it_is_shorter(ridgeline: SigningKey) -> None:
    short = claims_of(qualifications=())
    long = claims_of(qualifications=tuple(Qualification(f"Qualification {i}") for i in range(30)))
    for claims in (short, long):
        packed = issue_credential(claims, ridgeline, compress=True)
        plain = issue_credential(claims, ridgeline)
        assert len(packed) <= len(plain)
    assert len(issue_credential(long, ridgeline, compress=True)) < len(
        issue_credential(long, ridgeline)
    )


def test_the_text_fits_a_qr_code_of_moderate_size(ridgeline: SigningKey) -> None:
    # Alphanumeric QR version 13 at level M holds 483 characters.
    assert len(issue_credential(claims_of(), ridgeline)) < 483


# --- each failure, with its reason -------------------------------------------------------


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def test_every_flipped_bit_of_the_credential_is_refused(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    text = issue_credential(claims_of(), ridgeline)
    message = base45_decode(text[4:])
    assert message[:1] == b"\xd2"  # not compressed (the default)
    codes = set()
    for bit in range(len(message) * 8):
        tampered = CREDENTIAL_PREFIX + base45_encode(_flip(message, bit))
        result = verify_credential(tampered, trust=trust, revocations=None, now=NOW)
        assert not result.valid, f"bit {bit} flipped was accepted"
        assert result.claims is None or result.code == "malformed"
        codes.add(result.code)
    # A flipped bit in the key id names a key that is not trusted.
    assert "altered" in codes and "malformed" in codes
    assert codes <= {"altered", "malformed", "unknown_issuer", "untrusted_key"}


def test_a_flipped_bit_in_the_signed_content_says_altered(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    text = issue_credential(claims_of(), ridgeline, compress=False)
    message = base45_decode(text[4:])
    at = message.index(b"Ann Lee")
    tampered = CREDENTIAL_PREFIX + base45_encode(_flip(message, at * 8))  # "@nn Lee"
    result = verify_credential(tampered, trust=trust, revocations=None, now=NOW)
    assert (result.valid, result.code) == (False, "altered")
    assert result.reason == "the signature does not match: the credential was altered or damaged"
    assert result.claims is None


def test_a_flipped_bit_of_a_compressed_credential_fails_or_changes_nothing(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    # zlib's checksum catches damage to the content; only the padding bits after the last
    # deflate block are covered by nothing, and flipping one leaves the content as it was.
    quals = tuple(Qualification(f"Qualification {i}", date(2027, 1, i + 1)) for i in range(9))
    claims = claims_of(qualifications=quals)
    text = issue_credential(claims, ridgeline, compress=True)
    data = base45_decode(text[4:])
    assert data[:1] == b"\x78"  # compressed
    accepted = 0
    for bit in range(len(data) * 8):
        tampered = CREDENTIAL_PREFIX + base45_encode(_flip(data, bit))
        result = verify_credential(tampered, trust=trust, revocations=None, now=NOW)
        if result.valid:
            accepted += 1
            assert result.claims == claims
            assert zlib.decompress(_flip(data, bit)) == zlib.decompress(data)
    assert accepted <= 7


@pytest.mark.parametrize("position", [4, 50, 120, -3])
def test_a_changed_character_of_the_qr_text_is_refused(
    ridgeline: SigningKey, trust: TrustList, position: int
) -> None:
    text = issue_credential(claims_of(), ridgeline)
    position %= len(text)
    other = "A" if text[position] != "A" else "B"
    tampered = text[:position] + other + text[position + 1 :]
    assert tampered != text and len(tampered) == len(text)
    result = verify_credential(tampered, trust=trust, revocations=None, now=NOW)
    assert not result.valid
    assert result.code in {"altered", "malformed", "untrusted_key", "unknown_issuer"}
    assert result.claims is None
    assert result.reason.startswith(("the signature does not match", "cannot read", "signed by"))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "does not start with 'WH1:'"),
        ("HC1:6BFOXN", "does not start with 'WH1:'"),
        ("WH1:abc", "'a' is not a base45 character"),
        ("WH1:GGW", "encodes more than two bytes"),
        ("WH1:" + base45_encode(b"\x84\x01\x02"), "not valid CBOR"),
        ("WH1:" + base45_encode(cbor2.dumps([1, 2, 3, 4])), "not a COSE_Sign1 message"),
        ("WH1:" + base45_encode(b"\x78\x9c garbage"), "compressed data is damaged"),
        ("WH1:" + base45_encode(zlib.compress(bytes(100_000))), "cut short or too large"),
        ("WH1:" + "A" * 5000, "more than a QR code holds"),
    ],
)
def test_unreadable_text_is_malformed_with_the_reason(
    trust: TrustList, text: str, words: str
) -> None:
    result = verify_credential(text, trust=trust, revocations=None, now=NOW)
    assert (result.valid, result.code) == (False, "malformed")
    assert words in result.reason
    assert result.reason.startswith("cannot read the credential: ")


def test_a_credential_of_an_agency_not_in_the_trust_list_is_an_unknown_issuer(
    trust: TrustList,
) -> None:
    stranger = generate_signing_key("Lowland Rescue")
    text = issue_credential(claims_of(agency="Lowland Rescue"), stranger)
    result = check(text, trust)
    assert (result.valid, result.code) == (False, "unknown_issuer")
    assert result.reason == (
        f"signed by key {stranger.key_id} of 'Lowland Rescue', which is not in your trust "
        "list: an unknown issuer; get a trust list that holds this agency, or do not accept "
        "the credential"
    )
    assert result.claims is None


def test_a_credential_signed_by_a_key_not_in_the_trust_list_is_refused(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    # Same agency name, another key: a forgery, or a key the federation has not listed.
    impostor = generate_signing_key("Ridgeline SAR")
    text = issue_credential(claims_of(), impostor)
    result = check(text, trust)
    assert (result.valid, result.code) == (False, "untrusted_key")
    reason = result.reason
    assert reason.startswith(f"signed by key {impostor.key_id}, which is not in your trust list")
    assert f"it holds {ridgeline.key_id} for Ridgeline SAR" in reason
    assert "may be forged" in reason


def test_a_trusted_key_signing_for_another_agency_is_refused(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    payload = cbor2.dumps(
        {1: "X", 2: "M", 3: "Bob", 4: "Other SAR", 5: [], 6: [], 7: 1767225600, 8: 1830297600}
    )
    message = sign1(payload, private_key=ridgeline.private_key, kid=ridgeline.key_id)
    result = check(CREDENTIAL_PREFIX + base45_encode(message), trust)
    assert (result.valid, result.code) == (False, "wrong_agency")
    assert "names agency 'Other SAR'" in result.reason


def test_signed_content_that_is_not_a_credential_is_malformed(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    message = sign1(cbor2.dumps({1: "X"}), private_key=ridgeline.private_key, kid=ridgeline.key_id)
    result = check(CREDENTIAL_PREFIX + base45_encode(message), trust)
    assert (result.valid, result.code) == (False, "malformed")
    assert result.reason.startswith("signed by Ridgeline SAR, but cannot be read")


def test_an_expired_credential_is_refused_but_says_whose_it_is(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    claims = claims_of(valid_until=datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC))
    result = check(issue_credential(claims, ridgeline), trust)
    assert (result.valid, result.code) == (False, "expired")
    assert result.reason == "expired: it was valid until 2026-05-31 23:59Z"
    assert result.claims == claims


def test_a_credential_issued_in_the_future_is_not_yet_valid(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    later = claims_of(issued=NOW + timedelta(hours=2), valid_until=NOW + timedelta(days=9))
    result = check(issue_credential(later, ridgeline), trust)
    assert (result.valid, result.code) == (False, "not_yet_valid")
    assert "check this device's clock" in result.reason
    # A clock a few minutes behind the issuer's is tolerated.
    soon = claims_of(issued=NOW + timedelta(minutes=3), valid_until=NOW + timedelta(days=9))
    assert check(issue_credential(soon, ridgeline), trust).valid


def test_a_revoked_credential_is_refused_and_the_list_age_is_given(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    signed = sign_revocation_list(
        ["C-ANN", "C-OLD"], version=12, issued=NOW - timedelta(days=3, hours=1), key=ridgeline
    )
    status = RevocationStatus.of([revocation_list_from_signed(signed, trust)])
    revoked = check(issue_credential(claims_of("C-ANN"), ridgeline), trust, status)
    assert (revoked.valid, revoked.code) == (False, "revoked")
    assert revoked.reason == ("revoked by Ridgeline SAR; revocation list 3 days old (version 12)")
    fine = check(issue_credential(claims_of("C-BEN"), ridgeline), trust, status)
    assert fine.valid
    assert fine.revocation_note == "revocation list 3 days old (version 12)"
    assert fine.revocation_version == 12
    assert fine.revocation_age == timedelta(days=3, hours=1)
    assert fine.reason.endswith("; revocation list 3 days old (version 12)")


def test_an_expired_qualification_is_flagged_but_the_credential_stays_valid(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    quals = (Qualification("SARTECH II", date(2026, 5, 31)), Qualification("EMT", NOW.date()))
    result = check(issue_credential(claims_of(qualifications=quals), ridgeline), trust)
    assert result.valid
    assert result.expired_qualifications == ("SARTECH II",)
    assert "expired qualification(s): SARTECH II (2026-05-31)" in result.reason


def test_a_rejected_credential_can_be_raised_as_a_wayhome_error(trust: TrustList) -> None:
    result = verify_credential("WH1:GGW", trust=trust, revocations=None, now=NOW)
    error = CredentialRejectedError(result)
    assert isinstance(error, WayhomeError) and not isinstance(error, UsageError)
    assert str(error).startswith("credential not valid: cannot read the credential")


# --- trust and revocation lists ----------------------------------------------------------


def test_a_trust_list_round_trips_through_its_signature(
    federation: SigningKey, ridgeline: SigningKey
) -> None:
    other = generate_signing_key("Lowland Rescue")
    data = sign_trust_list([ridgeline.issuer, other.issuer], version=4, issued=T0, key=federation)
    trust = TrustList.from_signed(data, [federation.issuer], held_version=3)
    assert trust.version == 4 and trust.issued == T0
    assert trust.issuers == (ridgeline.issuer, other.issuer)
    assert trust.issuer(other.key_id) == other.issuer
    assert trust.keys_of("  ridgeline   sar ") == (ridgeline.issuer,)
    assert TrustList.from_signed(data, [federation.issuer], held_version=4).version == 4


def test_a_trust_list_signed_by_an_unpinned_key_is_refused(
    federation: SigningKey, ridgeline: SigningKey
) -> None:
    rogue = generate_signing_key("Mountain SAR Federation")  # same name, other key
    data = sign_trust_list([ridgeline.issuer], version=9, issued=T0, key=rogue)
    with pytest.raises(SignatureError, match=f"signed by key {rogue.key_id}, which is not a pin"):
        TrustList.from_signed(data, [federation.issuer])
    with pytest.raises(SignatureError, match="no federation key is pinned"):
        TrustList.from_signed(data, [])


def test_an_altered_trust_list_is_refused(federation: SigningKey, ridgeline: SigningKey) -> None:
    data = sign_trust_list([ridgeline.issuer], version=2, issued=T0, key=federation)
    opened = open_sign1(data, "x")
    at = data.index(opened.payload) + opened.payload.index(b"Ridgeline")
    with pytest.raises(SignatureError, match="the list was altered or damaged"):
        TrustList.from_signed(_flip(data, at * 8 + 1), [federation.issuer])
    with pytest.raises(CredentialFormatError):
        TrustList.from_signed(b"not cbor at all", [federation.issuer])


def test_an_older_trust_list_is_refused(federation: SigningKey, ridgeline: SigningKey) -> None:
    data = sign_trust_list([ridgeline.issuer], version=2, issued=T0, key=federation)
    with pytest.raises(StaleListError, match="version 2 is older than version 3 held here"):
        TrustList.from_signed(data, [federation.issuer], held_version=3)
    assert issubclass(StaleListError, ConflictError)


def test_a_revocation_list_is_not_a_trust_list(
    federation: SigningKey, ridgeline: SigningKey
) -> None:
    # Signed by the pinned key, but of the wrong kind: refused, not misread.
    revocations = sign_revocation_list(["C1"], version=1, issued=T0, key=federation)
    with pytest.raises(CredentialFormatError, match="not a wayhome trust list"):
        TrustList.from_signed(revocations, [federation.issuer])
    trusted = TrustList(version=1, issued=None, issuers=(federation.issuer,))
    trust_data = sign_trust_list([ridgeline.issuer], version=1, issued=T0, key=federation)
    with pytest.raises(CredentialFormatError, match="not a wayhome revocation list"):
        revocation_list_from_signed(trust_data, trusted)


def test_a_revocation_list_must_come_from_a_trusted_key(
    ridgeline: SigningKey, trust: TrustList
) -> None:
    stranger = generate_signing_key("Lowland Rescue")
    data = sign_revocation_list(["C1"], version=1, issued=T0, key=stranger)
    with pytest.raises(SignatureError, match="not in your trust list"):
        revocation_list_from_signed(data, trust)
    good = sign_revocation_list(["C1", "C1", "C2"], version=5, issued=T0, key=ridgeline)
    rl = revocation_list_from_signed(good, trust)
    assert rl == RevocationList(ridgeline.key_id, 5, T0, frozenset({"C1", "C2"}))
    with pytest.raises(SignatureError, match="altered or damaged"):
        revocation_list_from_signed(good[:-1] + bytes([good[-1] ^ 1]), trust)


def test_revocation_status_keeps_the_newest_list_per_key() -> None:
    old = RevocationList("k", 1, T0, frozenset({"A"}))
    new = RevocationList("k", 2, T0, frozenset({"A", "B"}))
    assert RevocationStatus.of([new, old]).lists == {"k": new}
    assert RevocationStatus.of([old, new]).lists == {"k": new}


# --- keys --------------------------------------------------------------------------------


def test_keys_round_trip_through_pem_with_the_agency(ridgeline: SigningKey) -> None:
    pem = signing_key_to_pem(ridgeline)
    assert pem.startswith(b"wayhome agency: Ridgeline SAR\n-----BEGIN PRIVATE KEY-----")
    again = signing_key_from_pem(pem)
    assert again.key_id == ridgeline.key_id and again.agency == "Ridgeline SAR"
    pub = issuer_key_to_pem(ridgeline.issuer)
    assert b"PRIVATE" not in pub
    assert issuer_key_from_pem(pub) == ridgeline.issuer
    assert issuer_key_from_pem(pem) == ridgeline.issuer  # a private key gives its public half
    with pytest.raises(CredentialFormatError, match="no 'wayhome agency: NAME' line"):
        issuer_key_from_pem(pub.split(b"\n", 1)[1])
    with pytest.raises(CredentialFormatError, match="not a readable private key"):
        signing_key_from_pem(b"wayhome agency: X\n-----BEGIN PRIVATE KEY-----\nAAAA\n")


def test_key_ids_name_the_agency_and_the_key() -> None:
    raw = bytes(range(32))
    assert key_id_of("Ridgeline SAR", raw).startswith("ridgeline-sar-")
    assert len(key_id_of("Ridgeline SAR", raw).rsplit("-", 1)[1]) == 16
    assert key_id_of("Ridgeline SAR", raw) != key_id_of("Ridgeline SAR", bytes(32))
    assert key_id_of("!!!", raw).startswith("key-")
    with pytest.raises(InvalidParameterError, match="32 raw Ed25519 bytes"):
        IssuerKey("Ridgeline SAR", b"short")


def test_a_key_signs_only_for_its_own_agency(ridgeline: SigningKey) -> None:
    with pytest.raises(InvalidParameterError, match="agency: the credential names 'Other'"):
        issue_credential(claims_of(agency="Other"), ridgeline)
    # Case and spacing of the name do not matter.
    assert issue_credential(claims_of(agency="ridgeline  SAR"), ridgeline).startswith("WH1:")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"valid_until": T0}, "valid_until: 2026-01-01 00:00Z is not after issued"),
        ({"issued": datetime(2026, 1, 1)}, "issued: .* has no time zone"),
        ({"name": "  "}, "name: '  ' must be a non-empty text"),
        ({"credential_id": "x" * 65}, "credential_id: over 64 characters"),
        ({"agency": ""}, "the agency name is empty"),
    ],
)
def test_claims_are_checked_when_made(change: dict[str, object], words: str) -> None:
    fields: dict[str, object] = {
        "credential_id": "C1",
        "member_id": "M1",
        "name": "Ann",
        "agency": "Ridgeline SAR",
        "roles": (),
        "qualifications": (),
        "issued": T0,
        "valid_until": T0 + timedelta(days=1),
    }
    with pytest.raises(InvalidParameterError, match=words):
        CredentialClaims(**{**fields, **change})  # type: ignore[arg-type]


def test_describe_age_in_words() -> None:
    assert describe_age(timedelta(minutes=59)) == "less than an hour"
    assert describe_age(timedelta(hours=1)) == "1 hour"
    assert describe_age(timedelta(hours=47)) == "47 hours"
    assert describe_age(timedelta(days=12, hours=23)) == "12 days"


# --- base45 (RFC 9285) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"", "")],
)
def test_base45_matches_the_rfc_examples(data: bytes, text: str) -> None:
    assert base45_encode(data) == text
    assert base45_decode(text) == data
    assert base45_decode("QED8WEX0") == b"ietf!"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_base45_round_trips_any_bytes(data: bytes) -> None:
    text = base45_encode(data)
    assert len(text) == 3 * (len(data) // 2) + 2 * (len(data) % 2)
    assert base45_decode(text) == data


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("GGW", "'GGW' encodes more than two bytes"),
        ("BB8:::", "':::' encodes more than two bytes"),
        ("::", "'::' encodes more than one byte"),
        ("BB8A", "one character too many or too few"),
        ("bb8", "'b' is not a base45 character"),
        ("BB8é", "'é' is not a base45 character"),
    ],
)
def test_base45_refuses_what_is_not_base45(text: str, words: str) -> None:
    with pytest.raises(CredentialFormatError, match=words):
        base45_decode(text)
