"""Property-based bad input (hypothesis) for the three doors outside data comes in by: the order-file
import with its mapping, the tracking-webhook receiver, and the rules files.

Each property is what issue 8 asks of bad input: every bad record gets a quarantine entry (or a
refusal) with a reason, nothing crashes, and the good records beside it still load, unchanged.
The examples are random and adversarial: embedded newlines, quotes and delimiters, a BOM, huge
fields, duplicate ids, ancient and future dates, negative and fractional quantities, unknown
statuses, bodies that are not JSON or not signed, YAML of any shape.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
import yaml
from hypothesis import given
from hypothesis import strategies as st

from connectors.easypost.receiver import MAX_BODY_BYTES, WEBHOOK_PATH, create_receiver
from connectors.easypost.signature import SIGNATURE_HEADER
from connectors.order_files import load_mapping, parse_order_file
from orderloop.background_server import serving
from orderloop.paths import PROJECT_ROOT
from orderloop.rule_sets import RuleError
from orderloop.rule_sets.loading import RULES_DIR, load_rule_set

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
MAPPING = load_mapping(PROJECT_ROOT / "docs" / "examples" / "ebay-orders.mapping.yaml")
COLUMNS = MAPPING.columns  # canonical name -> the export's column
HEADER = list(COLUMNS.values())
FREE_TEXT = ("email", "ship_to_name", "ship_to_address1", "ship_to_address2", "ship_to_city",
             "ship_to_postcode", "ship_to_country_code")

# Any text a person or a marketplace may put in a field (no NUL, which no CSV export carries),
# up to a few KB, with the delimiter, quotes and line breaks that CSV must quote.
field_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
) | st.sampled_from(["", " ", ",", '"', "\n", "\r\n", 'a,"b"\nc', "£", "é" * 3000, "x" * 10_000])


@st.composite
def good_rows(draw, index: int) -> dict[str, str]:
    placed = draw(st.datetimes(min_value=datetime(2001, 1, 2), max_value=datetime(2026, 11, 19)))
    row = {
        "order_id": draw(st.sampled_from([f"GOOD-{index}", "GOOD-DUP"])),  # some share an order id
        "placed_at": placed.strftime(MAPPING.timestamp.format),
        "status": draw(st.sampled_from(sorted(MAPPING.statuses))),
        "sku": draw(st.sampled_from(["SKU-MUG-01", "SKU-TEA-02", "SKU-ÆØÅ"])),
        "quantity": str(draw(st.integers(1, 10_000))),
        "unit_price": f"£{draw(st.decimals(0, 10_000, places=2))}",
        "total_amount": f"£{draw(st.decimals(0, 100_000, places=2))}",
    }
    return row | {name: draw(field_text) for name in FREE_TEXT}


# How a row goes bad, and a word its quarantine reason must contain.
BREAKAGES = {
    "no order id": ("order_id", st.sampled_from(["", "  ", "\n"]), "order id"),
    "unreadable date": ("placed_at", st.text(max_size=20), "placed_at"),
    # The export's two-digit years (%y) read 69-99 as 19xx and 00-68 as 20xx.
    "ancient date": (
        "placed_at", st.datetimes(datetime(1969, 1, 1), max_value=datetime(1999, 12, 30)), "before 2000"
    ),
    "future date": ("placed_at", st.datetimes(datetime(2026, 11, 22), datetime(2068, 12, 31)), "future"),
    "unknown status": ("status", st.text(min_size=1, max_size=20), "unknown status"),
    "bad quantity": (
        "quantity",
        st.integers(max_value=0).map(str)
        | st.integers(10_001).map(str)
        | st.sampled_from(["1.5", "lots", "NaN"]),
        "quantity",
    ),
    "negative price": (
        "unit_price", st.decimals(max_value=Decimal("-0.01"), places=2).map(lambda d: f"£{d}"), "unit_price"
    ),
    # 200,001 bytes, and 70,000 characters of two bytes each: over the limit in bytes though not in
    # characters (Python's csv module counts characters).
    "huge field": (
        "ship_to_address2", st.sampled_from(["x" * 200_001, "é" * 70_000]), "over the 131,072 limit"
    ),
    # Bytes that are not UTF-8, in a row that is otherwise good; spliced in after encoding.
    "undecodable bytes": ("ship_to_name", st.sampled_from(
        [b"\xff", b"\xc3(", b"\x80", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82", b"\xf8\x88\x80\x80\x80"]
    ), "not utf-8 (",),
}


BAD_BYTES_KEY = "bytes not in the encoding"


@st.composite
def bad_rows(draw, index: int) -> tuple[dict[str, str], str]:
    row = draw(good_rows(index))
    row["order_id"] = f"BAD-{index}"
    kind = draw(st.sampled_from(sorted(BREAKAGES)))
    field, values, reason = BREAKAGES[kind]
    value = draw(values)
    if isinstance(value, datetime):
        value = value.strftime(MAPPING.timestamp.format)
    if kind == "unreadable date" and _is_date(value):
        value = "not a date"
    if kind == "unknown status" and value.strip() in MAPPING.statuses:
        value = "Lost in the post"
    if isinstance(value, bytes):
        row[BAD_BYTES_KEY] = value
        value = f"\x00{index}\x00x"  # a marker no generated text holds (no NUL), replaced by the bytes
    row[field] = value
    return row, reason


def _is_date(text: str) -> bool:
    try:
        datetime.strptime(text.strip(), MAPPING.timestamp.format)
    except ValueError:
        return False
    return True


@st.composite
def order_files(draw):
    """A CSV export mixing good and bad rows (in any order); with or without a BOM."""
    kinds = draw(st.lists(st.booleans(), min_size=1, max_size=8))
    rows = [draw(good_rows(i)) if good else draw(bad_rows(i)) for i, good in enumerate(kinds)]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        fields = row[0] if isinstance(row, tuple) else row
        writer.writerow([fields.get(name, "") for name in COLUMNS])
    bom = "\ufeff" if draw(st.booleans()) else ""
    data = (bom + buffer.getvalue()).encode("utf-8")
    for index, row in enumerate(rows):
        if isinstance(row, tuple) and BAD_BYTES_KEY in row[0]:
            data = data.replace(f"\x00{index}\x00".encode(), row[0][BAD_BYTES_KEY])
    return data, rows


@given(order_files())
def test_every_row_of_an_order_file_loads_or_is_quarantined_with_its_reason(generated):
    data, rows = generated
    parsed = list(parse_order_file(data, "export.csv", MAPPING, now=NOW))
    lines = [record for table, record in parsed if table == "order_lines"]
    quarantined = [record for table, record in parsed if table == "quarantine"]
    assert len(lines) + len(quarantined) == len(rows), "every row accounted for, once"

    good = [row for row in rows if not isinstance(row, tuple)]
    assert [line["order_id"] for line in lines] == [row["order_id"] for row in good]
    for line, row in zip(lines, good, strict=True):
        assert line["quantity"] == int(row["quantity"])
        assert line["unit_price"] == Decimal(row["unit_price"].lstrip("£"))
        assert line["status"] == MAPPING.statuses[row["status"]]
        for name in FREE_TEXT:
            assert line[name] == (row[name].strip() or None), name
    keys = [(line["order_id"], line["line_key"]) for line in lines]
    assert len(set(keys)) == len(keys), "duplicate order ids and SKUs still get distinct line keys"

    bad = [row for row in rows if isinstance(row, tuple)]
    for entry, (row, reason) in zip(quarantined, bad, strict=True):
        assert entry["file_name"] == "export.csv" and entry["line_number"] >= 2
        assert reason in entry["reason"], (entry["reason"], row)
        assert json.dumps(row["order_id"])[1:-1] in entry["raw_record"], "the raw record is kept"


@given(st.binary(max_size=2000), st.binary(max_size=200))
def test_bytes_of_any_kind_never_crash_the_import(prefix, garbage):
    """Wrong encodings, NULs, stray quotes: a clear quarantine entry, never an exception."""
    good = "Order number,Sale date,Order status,Custom label,Quantity,Sold for,Total price\n"
    data = good.encode() + prefix + garbage
    for table, record in parse_order_file(data, "odd.csv", MAPPING, now=NOW):
        if table == "quarantine":
            assert record["reason"] and record["line_number"] >= 1 and record["file_name"] == "odd.csv"
        for value in record.values():
            if isinstance(value, str):
                value.encode("utf-8")  # storable: no undecoded byte leaks out as a lone surrogate


def test_a_field_over_the_size_limit_quarantines_its_row_and_the_rows_after_it_still_load():
    start = ["03-Nov-26 09:15", "Paid", "SKU-1", "1", "£1.00", "£1.00"]
    rows = [",".join(["1-1", *start] + [""] * 7),
            ",".join(["1-2", *start, "x" * 200_001] + [""] * 6),
            ",".join(["1-3", *start, '"a@b.uk\nsecond line"'] + [""] * 6),
            ",".join(["1-4", *start] + [""] * 7)]
    data = (",".join(HEADER) + "\n" + "\n".join(rows) + "\n").encode()
    parsed = list(parse_order_file(data, "big.csv", MAPPING, now=NOW))
    loaded = [(r["order_id"], r["line_number"]) for t, r in parsed if t == "order_lines"]
    assert loaded == [("1-1", 2), ("1-3", 4), ("1-4", 6)]
    [(table, entry)] = [p for p in parsed if p[0] == "quarantine"]
    assert entry["file_name"] == "big.csv" and entry["line_number"] == 3
    assert entry["reason"] == f"field {HEADER[7]!r} is 200,001 bytes, over the 131,072 limit"
    assert entry["raw_record"].startswith("1-2,") and len(entry["raw_record"]) < 11_000, "kept, but cut"


SECRET = "whsec_property_tests"
RECEIVER_NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _sign(body: bytes) -> str:
    return "hmac-sha256-hex=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def deliveries(draw) -> tuple[bytes, bool]:
    """A webhook body (an Event of any shape, other JSON, or bytes) and whether it is signed."""
    kind = draw(st.sampled_from(["event", "json", "bytes"]))
    if kind == "bytes":
        body = draw(st.binary(max_size=300))
    elif kind == "json":
        body = json.dumps(draw(json_values)).encode()
    else:
        event = {
            "object": "Event",
            "id": draw(st.sampled_from(["evt_1", "evt_2", "evt_ünï", "../../etc", "", "x" * 120])
                       | st.text(max_size=30)),
            "created_at": draw(
                st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2027, 1, 1)).map(
                    lambda d: d.isoformat() + "Z"
                )
                | st.text(max_size=25)
            ),
            "description": "tracker.updated",
            "result": draw(json_values),
        }
        body = json.dumps(event).encode()
    return body, draw(st.booleans())


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    """The real receiver app served over HTTP on 127.0.0.1; its landing folder."""
    landing = tmp_path_factory.mktemp("landing")
    with serving(create_receiver(landing, SECRET, clock=lambda: RECEIVER_NOW)) as base_url:
        yield base_url + WEBHOOK_PATH, landing


@given(st.lists(deliveries(), min_size=1, max_size=6))
def test_the_webhook_receiver_answers_every_delivery_and_lands_each_good_event_once(receiver, batch):
    url, landing = receiver
    shutil.rmtree(landing)  # each example starts with an empty landing area
    landing.mkdir()
    landed: dict[str, dict] = {}
    with requests.Session() as client:
        for body, signed in batch + batch:  # every delivery sent twice, as a retrying carrier does
            headers = {SIGNATURE_HEADER: _sign(body)} if signed else {}
            response = client.post(url, data=body, headers=headers, timeout=10)
            assert response.status_code in (200, 400, 401, 413, 422), response.text
            assert response.json().get("error" if response.status_code != 200 else "status")
            if not signed:
                assert response.status_code == 401
            if response.status_code == 200:
                event = json.loads(body)
                assert response.json()["id"] == event["id"]
                landed.setdefault(event["id"], event)
    files = sorted(landing.rglob("*.json"))
    assert len(files) == len(landed), "each accepted event is on disk once, nothing else is"
    for path in files:
        stored = json.loads(path.read_text())
        assert stored == landed[path.stem] or stored["id"] == path.stem
    assert not list(landing.rglob("*.tmp")), "no half-written file left behind"


def test_a_body_over_the_limit_is_refused_and_nothing_is_landed(receiver):
    url, landing = receiver
    before = sorted(landing.rglob("*"))
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    response = requests.post(url, data=body, headers={SIGNATURE_HEADER: _sign(body)}, timeout=10)
    assert response.status_code == 413 and sorted(landing.rglob("*")) == before


RULE_FILES = sorted(RULES_DIR.glob("*.yaml"))


def _mutate(document, path: list, value):
    """``document`` with the value at ``path`` (keys and indexes) replaced by ``value``."""
    if not path:
        return value
    head, *rest = path
    if isinstance(document, dict):
        return {**document, head: _mutate(document.get(head), rest, value)}
    if isinstance(document, list) and isinstance(head, int) and document:
        index = head % len(document)
        return [*document[:index], _mutate(document[index], rest, value), *document[index + 1:]]
    return value


def _paths(document, prefix: tuple = ()) -> list[list]:
    found = [list(prefix)]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=15)
    | st.dates() | st.sampled_from(["2026-02-30", "-1", "1e309", "yes", "~", "Paid"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@given(st.sampled_from(RULE_FILES), st.data())
def test_a_rules_file_with_any_field_changed_loads_or_fails_naming_the_file(tmp_path_factory, source, data):
    document = yaml.safe_load(source.read_text())
    path = data.draw(st.sampled_from(_paths(document)))
    changed = _mutate(document, path, data.draw(yaml_values))
    target = tmp_path_factory.mktemp("rules") / source.name
    target.write_text(yaml.safe_dump(changed, allow_unicode=True))
    try:
        load_rule_set(target)
    except RuleError as error:
        assert str(error).startswith(f"{target}: "), error


@given(st.text(max_size=300) | yaml_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)))
def test_any_text_as_a_rules_file_fails_with_a_rule_error_naming_the_file(tmp_path_factory, text):
    target = tmp_path_factory.mktemp("rules") / "random.yaml"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as error:
        load_rule_set(target)
    assert str(error.value).startswith(f"{target}: ")
