"""Interlink feed contracts: the envelope, the four feeds' payload models, and their rules.

The pydantic models here are the source of truth for every stage (streams, transforms, the
warehouse) and for publishers, who get the JSON Schemas under `contracts/schemas/` and the
AsyncAPI document `contracts/asyncapi.yaml` exported from them. This package imports nothing
else of Interlink's.
"""

from contracts.case import OFFENCE_TYPES, CasePerson, CaseV1, Location, Route, Vehicle
from contracts.common import (
    DOC_TYPES,
    FORENSIC_KINDS,
    PERSON_ROLES,
    SEXES,
    Address,
    ForensicRef,
    IdentityDocument,
    Name,
    Place,
)
from contracts.envelope import (
    HANDLING_CODES,
    INFORMATION_ASSESSMENTS,
    OPERATIONS,
    SOURCE_RELIABILITIES,
    Envelope,
    Handling,
    canonical_bytes,
    default_handling,
    envelope_for,
    signed_value,
)
from contracts.errors import (
    ContractError,
    CountryMismatch,
    DecodeError,
    Failure,
    InterlinkError,
    UnknownFeed,
    ValidationFailure,
)
from contracts.fields import normalise_country, normalise_phone
from contracts.mrz import check_digit, mrz_is_valid, parse_mrz
from contracts.notice import NOTICE_STATUSES, NOTICE_TYPES, NoticeSubject, NoticeV1
from contracts.parsing import (
    decode,
    parse_message,
    split_signed,
    validate_envelope,
    validate_payload,
)
from contracts.person import PersonV1
from contracts.receipt import RECEIPTS_PER_MESSAGE, Receipt, ReceiptBatch
from contracts.registry import (
    ENVELOPE_VERSION,
    FEEDS,
    LATEST_VERSION,
    PAYLOAD_MODELS,
    check_feed,
)
from contracts.travel_document import DOCUMENT_STATUSES, Holder, TravelDocumentV1

__all__ = [
    "DOCUMENT_STATUSES",
    "DOC_TYPES",
    "ENVELOPE_VERSION",
    "FEEDS",
    "FORENSIC_KINDS",
    "HANDLING_CODES",
    "INFORMATION_ASSESSMENTS",
    "LATEST_VERSION",
    "NOTICE_STATUSES",
    "NOTICE_TYPES",
    "OFFENCE_TYPES",
    "OPERATIONS",
    "PAYLOAD_MODELS",
    "PERSON_ROLES",
    "RECEIPTS_PER_MESSAGE",
    "SEXES",
    "SOURCE_RELIABILITIES",
    "Address",
    "CasePerson",
    "CaseV1",
    "ContractError",
    "CountryMismatch",
    "DecodeError",
    "Envelope",
    "Failure",
    "ForensicRef",
    "Handling",
    "Holder",
    "IdentityDocument",
    "InterlinkError",
    "Location",
    "Name",
    "NoticeSubject",
    "NoticeV1",
    "PersonV1",
    "Place",
    "Receipt",
    "ReceiptBatch",
    "Route",
    "TravelDocumentV1",
    "UnknownFeed",
    "ValidationFailure",
    "Vehicle",
    "canonical_bytes",
    "check_digit",
    "check_feed",
    "decode",
    "default_handling",
    "envelope_for",
    "mrz_is_valid",
    "normalise_country",
    "normalise_phone",
    "parse_message",
    "parse_mrz",
    "signed_value",
    "split_signed",
    "validate_envelope",
    "validate_payload",
]
