"""Conformance of the moveforce sandbox with simple-salesforce, a Salesforce client this team
did not write. simple-salesforce only speaks https, so the sandbox must run with TLS:

    moveforce sandbox --tls --cert-out /tmp/sandbox.pem --query-page-size 200
    python conformance.py --url https://127.0.0.1:PORT --cert /tmp/sandbox.pem

(or SANDBOX_URL / SANDBOX_CERT). Optional: SF_CLIENT_ID, SF_CLIENT_SECRET, SF_USERNAME,
SF_PASSWORD, SF_API_VERSION (62.0). Prints one line per failed check and a summary; exits 1
on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from importlib.metadata import version as package_version
from typing import Any, Callable
from urllib.parse import urlparse

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)
from simple_salesforce.login import token_login

COUNT = 450
CHUNK = 200

EXPECTED_FIELDS = {
    "ExternalID__c": {"type": "string", "length": 255, "externalId": True, "idLookup": True},
    "Department__c": {"type": "string", "length": 255, "externalId": False},
    "Team__c": {"type": "string", "length": 255, "externalId": False},
    "CurrentSeat__c": {"type": "string", "length": 255, "externalId": False},
    "NewSeat__c": {"type": "string", "length": 255, "externalId": False},
    "EmployeeAssets__c": {
        "type": "textarea",
        "length": 1024,
        "extraTypeInfo": "plaintextarea",
        "htmlFormatted": False,
        "filterable": False,
    },
    "EmployeeNotes__c": {
        "type": "textarea",
        "length": 1024,
        "extraTypeInfo": "plaintextarea",
        "htmlFormatted": False,
        "filterable": False,
    },
}


class Walk:
    """Counts checks and collects mismatches; a step that raises is one mismatch."""

    def __init__(self) -> None:
        self.checks = 0
        self.failures: list[str] = []

    def check(self, name: str, ok: bool, detail: Any = None) -> bool:
        self.checks += 1
        if not ok:
            text = "" if detail is None else f": {detail if isinstance(detail, str) else json.dumps(detail, default=str)}"
            self.failures.append(f"{name}{text}")
            print(f"MISMATCH {name}{text}"[:2000], flush=True)
        return ok

    def equal(self, name: str, actual: Any, expected: Any) -> bool:
        return self.check(name, actual == expected, {"actual": actual, "expected": expected})

    def step(self, name: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - any surprise is a mismatch of this step
            self.check(f"{name} (raised)", False, f"{type(exc).__name__}: {exc}")


def raised(fn: Callable[[], Any]) -> BaseException | None:
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001
        return exc
    return None


def error_code(exc: BaseException | None) -> str | None:
    """The REST errorCode simple-salesforce carries in `content`."""
    content = getattr(exc, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("SANDBOX_URL"))
    parser.add_argument("--cert", default=os.environ.get("SANDBOX_CERT"))
    args = parser.parse_args()
    base = (args.url or "").rstrip("/")
    if not re.fullmatch(r"https://(127\.0\.0\.1|localhost|\[::1\]):\d+", base) or not args.cert:
        print("usage: conformance.py --url https://127.0.0.1:PORT --cert FILE (loopback, https only)", file=sys.stderr)
        return 2

    client_id = os.environ.get("SF_CLIENT_ID", "moveforce-sandbox")
    client_secret = os.environ.get("SF_CLIENT_SECRET", "sandbox-secret")
    username = os.environ.get("SF_USERNAME", "integration@moveforce.sandbox")
    password = os.environ.get("SF_PASSWORD", "sandbox-password")
    api = os.environ.get("SF_API_VERSION", "62.0")
    run = f"py{int(time.time() * 1000):x}"
    host = urlparse(base).netloc

    def session() -> requests.Session:
        s = requests.Session()
        s.verify = args.cert
        # This machine exports REQUESTS_CA_BUNDLE, which would override `verify`.
        s.trust_env = False
        return s

    http = session()
    walk = Walk()
    started = time.monotonic()
    state: dict[str, Any] = {}

    def ext(i: int) -> str:
        return f"{run}-{i:04d}"

    def mine(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in records if str(r.get("ExternalID__c") or "").startswith(f"{run}-")]

    def token(form: dict[str, str]) -> requests.Response:
        return http.post(f"{base}/services/oauth2/token", data=form)

    def control(path: str, body: dict[str, Any] | None = None) -> int:
        return http.post(f"{base}/__sandbox/{path}", json=body or {}).status_code

    def connect(access_token: str, instance_url: str, version: str = api) -> Salesforce:
        return Salesforce(instance_url=instance_url, session_id=access_token, session=session(), version=version)

    # -------------------------------------------------------------- logins

    def tls_is_required() -> None:
        untrusting = requests.Session()
        untrusting.trust_env = False
        exc = raised(lambda: untrusting.get(f"{base}/services/data/"))
        walk.check("TLS: a client without the certificate is refused", isinstance(exc, requests.exceptions.SSLError), repr(exc))
        walk.equal("TLS: the written certificate is trusted", http.get(f"{base}/services/data/").status_code, 200)

    def password_login() -> None:
        # simple-salesforce's own token-response handling; its login helpers hard-code
        # https://{domain}.salesforce.com, so the token URL is given directly.
        session_id, instance = token_login(
            f"{base}/services/oauth2/token",
            {
                "grant_type": "password",
                "client_id": client_id,
                "client_secret": client_secret,
                "username": username,
                "password": password,
            },
            "login",
            client_id,
            None,
            None,
            http,
        )
        walk.check("password login: access token", isinstance(session_id, str) and "!" in session_id, session_id)
        walk.equal("password login: instance (host:port)", instance, host)
        state["sf"] = Salesforce(instance=instance, session_id=session_id, session=session(), version=api)
        identity = state["sf"].restful("")
        walk.check("password login: resource list", "sobjects" in identity, identity)

    def client_credentials() -> None:
        r = token({"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret})
        walk.equal("client credentials: status", r.status_code, 200)
        body = r.json()
        walk.equal("client credentials: instance_url", body.get("instance_url"), base)
        walk.check("client credentials: issued_at is a 13-digit string", bool(re.fullmatch(r"\d{13}", str(body.get("issued_at")))), body.get("issued_at"))
        state["cc"] = connect(body["access_token"], body["instance_url"])
        limits = state["cc"].limits()
        walk.check("client credentials: /limits answers", limits["DailyApiRequests"]["Max"] > 0, limits)
        usage = state["cc"].api_usage.get("api-usage")
        walk.check("Sforce-Limit-Info parsed by simple-salesforce", usage is not None and usage.total > 0 and usage.used > 0, repr(usage))

    # -------------------------------------------------------------- the walk

    def describe() -> None:
        d = state["cc"].Case.describe()
        walk.equal("describe: name", d["name"], "Case")
        walk.equal("describe: keyPrefix", d["keyPrefix"], "500")
        fields = {f["name"]: f for f in d["fields"]}
        for name, want in EXPECTED_FIELDS.items():
            f = fields.get(name)
            if not walk.check(f"describe: {name} present", f is not None):
                continue
            walk.check(f"describe: {name} is custom", f.get("custom") is True, f.get("custom"))
            walk.check(f"describe: {name} is createable and updateable", f.get("createable") and f.get("updateable"), f)
            for key, value in want.items():
                walk.equal(f"describe: {name}.{key}", f.get(key), value)
        names = [s["name"] for s in state["cc"].describe()["sobjects"]]
        walk.check("describe global lists Case", "Case" in names, names[:5])

    records = [
        {
            "attributes": {"type": "Case"},
            "ExternalID__c": ext(i),
            "Subject": f"Move {i}",
            "Department__c": "Finance",
            "Team__c": f"Team {i % 7}",
            "CurrentSeat__c": f"3F-{i}",
            "NewSeat__c": f"4B-{i}",
            "EmployeeAssets__c": "Laptop; dock",
            "EmployeeNotes__c": "Needs a standing desk",
        }
        for i in range(COUNT)
    ]

    def upsert_chunks(sf: Salesforce, batch: list[dict[str, Any]]) -> tuple[list[Any], list[int]]:
        results: list[Any] = []
        sizes: list[int] = []
        for start in range(0, len(batch), CHUNK):
            chunk = batch[start : start + CHUNK]
            sizes.append(len(chunk))
            answer = sf.restful(
                "composite/sobjects/Case/ExternalID__c",
                method="PATCH",
                json={"allOrNone": False, "records": chunk},
            )
            results.extend(answer or [])
        return results, sizes

    def upsert_all() -> None:
        results, sizes = upsert_chunks(state["cc"], records)
        walk.equal("upsert: collection calls of 200/200/50", sizes, [200, 200, 50])
        walk.equal("upsert: one result per record", len(results), COUNT)
        walk.check("upsert: all succeeded", all(r.get("success") is True for r in results), next((r for r in results if not r.get("success")), None))
        walk.check("upsert: all created", all(r.get("created") is True for r in results), next((r for r in results if r.get("created") is not True), None))
        walk.check("upsert: 18-char Case ids", all(re.fullmatch(r"500[0-9A-Za-z]{15}", r.get("id", "")) for r in results), results[:1])
        state["ids"] = [r["id"] for r in results]
        walk.equal("upsert: distinct ids", len(set(state["ids"])), COUNT)

    def upsert_again() -> None:
        changed = [{**r, "NewSeat__c": f"{r['NewSeat__c']}-b"} for r in records]
        results, _ = upsert_chunks(state["cc"], changed)
        walk.equal("re-upsert: one result per record", len(results), COUNT)
        walk.check("re-upsert: all succeeded", all(r.get("success") is True for r in results))
        walk.check("re-upsert: none created", all(r.get("created") is False for r in results), next((r for r in results if r.get("created") is not False), None))
        walk.equal("re-upsert: same ids in the same order", [r["id"] for r in results], state["ids"])

    def too_many() -> None:
        exc = raised(
            lambda: state["cc"].restful(
                "composite/sobjects/Case/ExternalID__c", method="PATCH", json={"allOrNone": False, "records": records}
            )
        )
        walk.check("over 200 records: SalesforceMalformedRequest", isinstance(exc, SalesforceMalformedRequest), repr(exc))
        walk.equal("over 200 records: errorCode", error_code(exc), "EXCEEDED_ID_LIMIT")

    def single_upsert() -> None:
        sf = state["sf"]
        key = f"ExternalID__c/{run}-single"
        created = sf.Case.upsert(key, {"Subject": "one"}, raw_response=True)
        walk.equal("single upsert insert: 201", created.status_code, 201)
        walk.equal("single upsert insert: created", created.json().get("created"), True)
        updated = sf.Case.upsert(key, {"Subject": "two"}, raw_response=True)
        walk.equal("single upsert update (62.0): 200", updated.status_code, 200)
        walk.equal("single upsert update: created false, same id", (updated.json().get("created"), updated.json().get("id")), (False, created.json().get("id")))
        old = connect(sf.session_id, base, version="45.0")
        walk.equal("single upsert update (45.0): 204 no content", old.Case.upsert(key, {"Subject": "three"}), 204)
        got = sf.Case.get_by_custom_id("ExternalID__c", f"{run}-single")
        walk.equal("get by external id: the update landed", got.get("Subject"), "three")
        walk.equal("single delete: 204", sf.Case.delete(created.json()["id"]), 204)

    def query_paging() -> None:
        sf = state["sf"]
        soql = "SELECT Id, ExternalID__c, NewSeat__c FROM Case"
        first = sf.query(soql)
        walk.check("query: first page is not everything", first["done"] is False and bool(first.get("nextRecordsUrl")), {"done": first["done"], "size": len(first["records"])})
        walk.check("query: totalSize counts every row", first["totalSize"] >= COUNT, first["totalSize"])
        rows = list(first["records"])
        page, pages = first, 1
        while not page["done"] and pages < 50:
            page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
            rows.extend(page["records"])
            pages += 1
        walk.check("query_more: several pages", pages >= 3, pages)
        walk.equal("query_more: every row once", len(rows), first["totalSize"])
        found = mine(rows)
        walk.equal("query: our Cases", len(found), COUNT)
        walk.check("query: updated values", all(r["NewSeat__c"].endswith("-b") for r in found), found[:1])
        everything = sf.query_all(soql)
        walk.equal("query_all: fetched everything", len(everything["records"]), first["totalSize"])
        locator = first["nextRecordsUrl"].rsplit("/", 1)[-1]
        by_id = sf.query_more(locator, identifier_is_url=False)
        walk.equal("query_more by locator id: second page", [r["Id"] for r in by_id["records"]], [r["Id"] for r in rows[len(first["records"]) : len(first["records"]) + len(by_id["records"])]])

    def retrieve() -> None:
        sf = state["sf"]
        ids = state["ids"]
        rec = sf.Case.get(ids[0])
        walk.equal("get: Id", rec.get("Id"), ids[0])
        walk.equal("get: ExternalID__c", rec.get("ExternalID__c"), ext(0))
        walk.equal("get: attributes.type", rec.get("attributes", {}).get("type"), "Case")
        by_ext = sf.Case.get_by_custom_id("ExternalID__c", ext(3))
        walk.equal("get by external id: Id", by_ext.get("Id"), ids[3])
        exc = raised(lambda: sf.Case.get("500000000000000AAA"))
        walk.check("get unknown id: SalesforceResourceNotFound", isinstance(exc, SalesforceResourceNotFound), repr(exc))
        walk.equal("get unknown id: NOT_FOUND", error_code(exc), "NOT_FOUND")
        many = sf.restful("composite/sobjects/Case", method="POST", json={"ids": ids[:3], "fields": ["Id", "ExternalID__c"]})
        walk.equal("collections retrieve: three in order", [r and r.get("Id") for r in many], ids[:3])

    def delete_all() -> None:
        sf = state["sf"]
        ids = state["ids"]
        results: list[Any] = []
        sizes: list[int] = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            sizes.append(len(chunk))
            results.extend(sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(chunk), "allOrNone": "false"}) or [])
        walk.equal("delete: collection calls of 200/200/50", sizes, [200, 200, 50])
        walk.check("delete: all succeeded", len(results) == COUNT and all(r.get("success") is True for r in results), next((r for r in results if not r.get("success")), None))
        walk.equal("delete: ids in order", [r.get("id") for r in results], ids)
        again = sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids[:2])})
        walk.check("delete again: per-record ENTITY_IS_DELETED", all(r["success"] is False and r["errors"][0]["statusCode"] == "ENTITY_IS_DELETED" for r in again), again)
        exc = raised(lambda: sf.Case.delete(ids[0]))
        walk.check("single delete again: SalesforceResourceNotFound", isinstance(exc, SalesforceResourceNotFound), repr(exc))
        walk.equal("single delete again: ENTITY_IS_DELETED", error_code(exc), "ENTITY_IS_DELETED")

    def none_left() -> None:
        sf = state["sf"]
        left = sf.query_all("SELECT Id, ExternalID__c FROM Case")
        walk.equal("after delete: none of ours", len(mine(left["records"])), 0)
        deleted = mine(sf.query_all("SELECT Id, ExternalID__c, IsDeleted FROM Case", include_deleted=True)["records"])
        walk.equal("queryAll: ours are in the recycle bin", len(deleted), COUNT + 1)
        walk.check("queryAll: IsDeleted = true", all(r.get("IsDeleted") is True for r in deleted), deleted[:1])

    # -------------------------------------------------------------- error paths

    def too_long() -> None:
        exc = raised(lambda: state["cc"].Case.create({"Subject": "x", "Team__c": "x" * 256}))
        walk.check("too long: SalesforceMalformedRequest", isinstance(exc, SalesforceMalformedRequest), repr(exc))
        walk.equal("too long: errorCode", error_code(exc), "STRING_TOO_LONG")
        walk.equal("too long: fields", (getattr(exc, "content", None) or [{}])[0].get("fields"), ["Team__c"])
        batch = state["cc"].restful(
            "composite/sobjects/Case/ExternalID__c",
            method="PATCH",
            json={"records": [{"attributes": {"type": "Case"}, "ExternalID__c": f"{run}-long", "EmployeeNotes__c": "n" * 1025}]},
        )
        walk.check("too long in a collection: per-record STRING_TOO_LONG", batch[0]["success"] is False and batch[0]["errors"][0]["statusCode"] == "STRING_TOO_LONG", batch)

    def unknown_field() -> None:
        exc = raised(lambda: state["cc"].Case.create({"Subject": "x", "Bogus__c": "y"}))
        walk.check("unknown field: SalesforceMalformedRequest", isinstance(exc, SalesforceMalformedRequest), repr(exc))
        walk.equal("unknown field: errorCode", error_code(exc), "INVALID_FIELD")
        exc = raised(lambda: state["cc"].query("SELECT Bogus__c FROM Case"))
        walk.equal("unknown field in a query: errorCode", error_code(exc), "INVALID_FIELD")

    def malformed_query() -> None:
        exc = raised(lambda: state["cc"].query("SELEC Id FROM Case"))
        walk.check("malformed query: SalesforceMalformedRequest", isinstance(exc, SalesforceMalformedRequest), repr(exc))
        walk.equal("malformed query: errorCode", error_code(exc), "MALFORMED_QUERY")

    def wrong_password() -> None:
        exc = raised(
            lambda: token_login(
                f"{base}/services/oauth2/token",
                {"grant_type": "password", "client_id": client_id, "client_secret": client_secret, "username": username, "password": password + "-wrong"},
                "login",
                client_id,
                None,
                None,
                http,
            )
        )
        walk.check("wrong password: SalesforceAuthenticationFailed", isinstance(exc, SalesforceAuthenticationFailed), repr(exc))
        walk.equal("wrong password: code", getattr(exc, "code", None), "invalid_grant")
        walk.equal("wrong password: description", getattr(exc, "auth_message", None), "authentication failure")

    def revoked() -> None:
        cc = state["cc"]
        r = http.post(f"{base}/services/oauth2/revoke", data={"token": cc.session_id})
        walk.equal("revoke: status", r.status_code, 200)
        exc = raised(lambda: cc.query("SELECT Id FROM Case"))
        walk.check("after revoke: SalesforceExpiredSession", isinstance(exc, SalesforceExpiredSession), repr(exc))
        walk.equal("after revoke: INVALID_SESSION_ID", error_code(exc), "INVALID_SESSION_ID")

    # -------------------------------------------------------------- other shapes

    def duplicates() -> None:
        sf = state["sf"]
        walk.equal("external id not unique (control API)", control("external-id-unique", {"unique": False}), 204)
        try:
            twins = sf.restful(
                "composite/sobjects",
                method="POST",
                json={"records": [{"attributes": {"type": "Case"}, "ExternalID__c": f"{run}-dup"} for _ in range(2)]},
            )
            walk.check("duplicates created", all(t["success"] for t in twins), twins)
            exc = raised(lambda: sf.Case.upsert(f"ExternalID__c/{run}-dup", {"Subject": "which?"}))
            walk.check("several matches: SalesforceMoreThanOneRecord (300)", isinstance(exc, SalesforceMoreThanOneRecord), repr(exc))
            urls = getattr(exc, "content", None)
            walk.check(
                "300: a list of record URLs",
                isinstance(urls, list) and len(urls) == 2 and all(re.fullmatch(rf"/services/data/v{re.escape(api)}/sobjects/Case/500\w{{15}}", u) for u in urls),
                urls,
            )
            exc = raised(lambda: sf.Case.get_by_custom_id("ExternalID__c", f"{run}-dup"))
            walk.check("get by external id with several matches: 300", isinstance(exc, SalesforceMoreThanOneRecord), repr(exc))
            batch = sf.restful("composite/sobjects/Case/ExternalID__c", method="PATCH", json={"records": [{"attributes": {"type": "Case"}, "ExternalID__c": f"{run}-dup"}]})
            walk.equal("collections upsert with several matches: DUPLICATE_EXTERNAL_ID", batch[0]["errors"][0]["statusCode"], "DUPLICATE_EXTERNAL_ID")
            sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(t["id"] for t in twins)})
        finally:
            walk.equal("external id unique again", control("external-id-unique", {"unique": True}), 204)

    def faults_and_versions() -> None:
        sf = state["sf"]
        walk.equal("force a 503 (control API)", control("fault", {"status": 503, "times": 1}), 204)
        exc = raised(lambda: sf.query("SELECT Id FROM Case"))
        walk.check("503: SalesforceGeneralError", isinstance(exc, SalesforceGeneralError) and getattr(exc, "status", None) == 503, repr(exc))
        walk.equal("503: errorCode", error_code(exc), "SERVER_UNAVAILABLE")
        walk.equal("force a dropped connection", control("fault", {"drop": True, "times": 1}), 204)
        exc = raised(lambda: sf.query("SELECT Id FROM Case"))
        walk.check("dropped connection: requests ConnectionError", isinstance(exc, requests.exceptions.ConnectionError), repr(exc))
        walk.equal("force a row lock", control("fault", {"rowLock": True, "times": 1}), 204)
        batch = sf.restful(
            "composite/sobjects/Case/ExternalID__c",
            method="PATCH",
            json={"records": [{"attributes": {"type": "Case"}, "ExternalID__c": f"{run}-lock-{k}"} for k in range(3)]},
        )
        locked = [r for r in batch if not r["success"]]
        walk.check("row lock: one record UNABLE_TO_LOCK_ROW, the rest saved", len(locked) == 1 and locked[0]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW", batch)
        old = connect(sf.session_id, base, version="30.0")
        exc = raised(lambda: old.query("SELECT Id FROM Case"))
        walk.check("retired 30.0: HTTP 410", isinstance(exc, SalesforceError) and getattr(exc, "status", None) == 410, repr(exc))
        walk.equal("retired 30.0: errorCode", error_code(exc), "GONE")
        future = connect(sf.session_id, base, version="99.0")
        exc = raised(lambda: future.query("SELECT Id FROM Case"))
        walk.check("unknown 99.0: SalesforceResourceNotFound", isinstance(exc, SalesforceResourceNotFound), repr(exc))

    for name, fn in [
        ("TLS", tls_is_required),
        ("login: password flow", password_login),
        ("login: client credentials", client_credentials),
        ("describe Case", describe),
        (f"upsert {COUNT} Cases", upsert_all),
        ("upsert again", upsert_again),
        ("over 200 records", too_many),
        ("single-record upsert", single_upsert),
        ("query with paging", query_paging),
        ("retrieve by Id", retrieve),
        (f"delete the {COUNT} Cases", delete_all),
        ("query again: none left", none_left),
        ("error: too-long value", too_long),
        ("error: unknown field", unknown_field),
        ("error: malformed query", malformed_query),
        ("error: wrong password", wrong_password),
        ("error: revoked token", revoked),
        ("300 on duplicates", duplicates),
        ("faults and versions", faults_and_versions),
    ]:
        walk.step(name, fn)

    seconds = time.monotonic() - started
    verdict = "PASS" if not walk.failures else "FAIL"
    print(
        f"simple-salesforce {package_version('simple-salesforce')} against {base} (API {api}): "
        f"{verdict} — {walk.checks} checks, {len(walk.failures)} mismatches, {seconds:.1f} s",
        flush=True,
    )
    return 0 if not walk.failures else 1


if __name__ == "__main__":
    sys.exit(main())
