"""How much the web process grows (issue 14): "a 10,000-row import and a 100,000-row export run without the web
process growing more than 50 MB". Each measurement runs in a fresh child process: Django set up, one warm-up
request (templates, URLs, the session), then the request measured through the test client; the growth is the
peak resident size (`ru_maxrss`) after the request less the peak before it. The web side only queues: the
upload keeps the file and queues its check, the export's button queues its job. The worker's side (the check of
the 10,000 rows; building the 100,000-row workbook) is measured the same way in a process of its own, for
information.

    createdb -h 127.0.0.1 -U postgres h14x_mem
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h14x_mem .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h14x_mem .venv/bin/python manage.py seed_scale \\
        --members 120000 --orgs 8000 --transfers 1000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h14x_mem .venv/bin/python bench/memory.py

It writes (an import job, an export job, ten thousand people when --import-rows is kept): run it on a copy."""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
LIMIT_MB = 50


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _setup():
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]


def _root_admin():
    from members.models import CadrePost
    from orgs.models import Organization

    root = Organization.objects.filter(parent=None).order_by("pk").first()
    post = CadrePost.objects.held().filter(is_admin=True, org=root).select_related("person").first()
    return root, post.person


def _client(person, org):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from access.factors import authenticator_of
    from config.sessions import start as start_session_clock

    if not person.password_set:  # seed_scale's people have not chosen one (R-ACC-1 sends them to choose it)
        person.set_password("Bench-2026-strong")
        person.save(update_fields=["password", "password_set"])
    client = Client()
    client.force_login(person)
    session = client.session
    start_session_clock(session)
    device = authenticator_of(person) or TOTPDevice.objects.create(user=person, name="bench", confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["acting_org_id"] = org.pk
    session.save()
    return client


def _workbook(rows: int, branch_names: list[str]) -> bytes:
    import datetime as dt
    import io

    from openpyxl import load_workbook

    from members.idnumber import check_char
    from members.importing import build_template

    wb = load_workbook(io.BytesIO(build_template("branch_members")))
    ws = wb["导入下级团支部团员团干部"]
    headers = {c.value: c.column for c in ws[1] if c.value}
    run = time.time_ns() // 1000 % 90
    for i in range(rows):
        born = dt.date(2000 + i % 8, 1 + i % 12, 1 + i % 28)
        body = f"{990100 + run * 100 + i // 1000:06d}{born:%Y%m%d}{i % 1000:03d}"
        row = {"姓名": f"内存{i}", "身份证号": body + check_char(body), "入团时间": dt.date(2016, 5, 4),
               "手机号码": f"139{i:08d}", "所在团支部全称": branch_names[i % len(branch_names)], "民族": "汉族",
               "政治面貌": "共青团员", "全日制学历": "大学本科", "最高学历": "大学本科", "学习工作单位": "示范大学",
               "所在地区（省）": "北京市", "所在地区（市）": "北京市"}
        for key, value in row.items():
            ws.cell(row=2 + i, column=headers[key], value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def child(step: str, rows: int, job_id: int | None, job_path: str = "") -> dict:
    """One measurement, in this (fresh) process."""
    _setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from members.exporting.jobs import build_export_job
    from members.importing.jobs import check_job
    from members.models import ExportJob, ImportJob
    from orgs.models import Organization, OrgType

    out = {"step": step}
    if step in ("make", "upload", "export"):
        root, admin = _root_admin()
        client = _client(admin, root)
        assert client.get(reverse("imports:export")).status_code == 200      # warm-up
        if step == "make":
            branches = list(Organization.objects.filter(org_type=OrgType.BRANCH, is_active=True,
                                                        path__startswith=root.path)
                            .order_by("pk").values_list("full_name", flat=True)[:20])
            content = _workbook(rows, branches)
            with open(job_path, "wb") as fh:
                fh.write(content)
            return {"step": "make", "file": job_path}
        if step == "upload":
            with open(job_path, "rb") as fh:   # the workbook was built by another process: its peak is not ours
                content = fh.read()
            out["file_kib"] = round(len(content) / 1024)
            before, started = peak_mb(), time.perf_counter()
            resp = client.post(reverse("imports:start"), {"kind": "branch_members", "file": SimpleUploadedFile(
                "bench.xlsx", content, content_type="application/octet-stream")})
            assert resp.status_code == 302, resp.status_code
            out["job"] = ImportJob.objects.latest("pk").pk
        else:
            before, started = peak_mb(), time.perf_counter()
            resp = client.get(reverse("imports:export_members"))           # the offer: limit + 1 rows read
            assert resp.status_code == 200 and b"xlsx" not in resp.get("Content-Type", "").encode()
            resp = client.post(reverse("imports:export_members"))          # the button: the job queued
            assert resp.status_code == 302, resp.status_code
            out["job"] = ExportJob.objects.latest("pk").pk
    else:  # the worker's side of a job the web step queued
        before, started = peak_mb(), time.perf_counter()
        if step == "check":
            check_job.call(job_id)
            job = ImportJob.objects.get(pk=job_id)
            out["rows"], out["status"], out["problems"] = job.rows_checked, job.status, len(job.errors)
        else:
            build_export_job.call(job_id)
            job = ExportJob.objects.defer("content").get(pk=job_id)
            out["rows"], out["status"] = job.rows_done, job.status
            out["file_kib"] = round(len(ExportJob.objects.values_list("content", flat=True).get(pk=job_id)) / 1024)
    out["seconds"] = round(time.perf_counter() - started, 2)
    out["baseline_mb"], out["growth_mb"] = round(before, 1), round(peak_mb() - before, 1)
    return out


def run(step: str, rows: int = 0, job: int | None = None, path: str = "") -> dict:
    args = [sys.executable, __file__, "--child", step, "--import-rows", str(rows), "--path", path] + (
        ["--job", str(job)] if job else [])
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--child")
    parser.add_argument("--job", type=int)
    parser.add_argument("--path", default="")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.import_rows, args.job, args.path)))
        return
    results = []
    path = os.path.join(tempfile.mkdtemp(prefix="tuanji-mem-"), "import.xlsx")
    run("make", args.import_rows, path=path)
    upload = run("upload", args.import_rows, path=path)
    results += [upload, run("check", job=upload["job"])]
    export = run("export")
    results += [export, run("build", job=export["job"])]
    for r in results:
        side = "web   " if r["step"] in ("upload", "export") else "worker"
        extra = ", ".join(f"{k}={r[k]}" for k in ("rows", "status", "problems", "file_kib") if k in r)
        print(f"{side} {r['step']:<7} growth {r['growth_mb']:>6.1f} MB (baseline {r['baseline_mb']:.1f} MB) "
              f"in {r['seconds']:.2f} s {extra}")
    web = max(r["growth_mb"] for r in results[::2])
    print(f"web process: at most {web:.1f} MB of growth (limit {LIMIT_MB} MB) -> {'OK' if web <= LIMIT_MB else 'OVER'}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
