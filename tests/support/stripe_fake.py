"""A stand-in for Stripe's hosted API, at the HTTP boundary.

Stripe's API (Checkout, the Customer Portal) cannot run on these machines, so tests point the
real Stripe SDK (`STRIPE_API_BASE`) at this small HTTP server, which answers the three calls
PromptRepo makes and records what it was asked. Webhooks are NOT faked: tests sign real
payloads with the webhook secret exactly as Stripe does (see `sign_webhook`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeStripe:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                fake.requests.append(("POST", self.path, form))
                if self.path == "/v1/customers":
                    body = {"id": f"cus_{uuid.uuid4().hex[:14]}", "object": "customer"}
                elif self.path == "/v1/checkout/sessions":
                    sid = f"cs_test_{uuid.uuid4().hex[:14]}"
                    body = {
                        "id": sid,
                        "object": "checkout.session",
                        "url": f"https://checkout.stripe.test/{sid}",
                    }
                elif self.path == "/v1/billing_portal/sessions":
                    body = {
                        "id": "bps_1",
                        "object": "billing_portal.session",
                        "url": "https://billing.stripe.test/p/1",
                    }
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def calls(self, path: str) -> list[dict[str, list[str]]]:
        return [form for _, p, form in self.requests if p == path]


def sign_webhook(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe would send for `payload`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(kind: str, obj: dict, event_id: str | None = None, created: int | None = None) -> bytes:
    """An event as Stripe sends it; `created` (epoch seconds) is when Stripe made it."""
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:16]}",
            "object": "event",
            "type": kind,
            "created": int(time.time()) if created is None else created,
            "data": {"object": obj},
        }
    ).encode()
