"""Write the nginx site for PromptRepo (deploy/nginx/promptrepo.conf.template, filled in).

    python deploy/render_nginx.py --listen 8080 --server 127.0.0.1:3001 \\
        --server 127.0.0.1:3002 --app-dir "$PWD" > /etc/nginx/sites-enabled/promptrepo.conf

--app-dir is the checkout the servers run from: nginx serves the hashed assets from its
`.web/build/client/`. Add --access-log PATH to log elsewhere than /var/log/nginx.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "promptrepo.conf.template"


def render(
    listen: str,
    servers: list[str],
    app_dir: Path,
    server_name: str = "_",
    access_log: str | None = None,
) -> str:
    """The site configuration for nginx listening on `listen` in front of `servers`."""
    if not servers:
        raise ValueError("at least one --server HOST:PORT is needed")
    upstreams = "\n".join(f"    server {s} max_fails=0;" for s in servers)
    text = (
        TEMPLATE.read_text()
        .replace("@LISTEN@", listen)
        .replace("@SERVER_NAME@", server_name)
        .replace("@STATIC_ROOT@", str(Path(app_dir).resolve() / ".web" / "build" / "client"))
        .replace("@UPSTREAM_SERVERS@", upstreams)
    )
    if access_log:
        text = text.replace("/var/log/nginx/promptrepo.access.log", access_log)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="80", help="address nginx listens on (80, 8080...)")
    parser.add_argument("--server", action="append", default=[], help="an app server, HOST:PORT")
    parser.add_argument("--app-dir", default=".", help="the checkout the servers run from")
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--access-log")
    args = parser.parse_args(argv)
    sys.stdout.write(
        render(args.listen, args.server, Path(args.app_dir), args.server_name, args.access_log)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
