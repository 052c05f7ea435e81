"""`python -m tools k8s-job`: a Kubernetes Job that runs a command in the project's image.

The manifest names the image by its lock hash (`<slug>:<target>-<hash 12>`, the
tag `invoke docker-build` gives it), never `latest`, so the Job runs exactly
the locked env. Its one container runs check-env --strict first (a drifted
image stops the Job before the command), writes the env's report to /out, then
runs the command. It runs as the image's numeric non-root user with a
read-only root filesystem: /out (an emptyDir, or `--claim`'s volume) and /tmp
are the only places it writes. Apply it with `kubectl create -f`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .project import DISTRIBUTION, EXIT_OK, UsageError, trailing_words

UID = 10001  # the Dockerfile's `USER 10001`: runAsNonRoot can only verify a number
OUTPUT_DIR = "/out"
# check-env, then the report, then the command itself (`exec "$@"`: it becomes PID 1's
# child and gets the Job's signals); any failure ends the container with its code.
ENTRYPOINT = (
    "python -m tools check-env --strict"
    f" && python -m tools report --output {OUTPUT_DIR}/env-report.json"
    ' && exec "$@"'
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .project import GPU

    parser.add_argument(
        "--target",
        default="cpu",
        choices=["cpu", "gpu"] if GPU else ["cpu"],
        help="the image the Job runs (the Dockerfile stage)",
    )
    parser.add_argument(
        "--registry", default="", help="registry path before the image name, e.g. ghcr.io/org"
    )
    parser.add_argument("--cpus", default="2", help="CPUs the Job requests (default: 2)")
    parser.add_argument("--mem", default="4Gi", help="memory it requests and is limited to")
    if GPU:
        parser.add_argument(
            "--gpus", type=int, default=1, help="nvidia.com/gpu limit of the gpu target"
        )
    parser.add_argument(
        "--claim",
        default="",
        metavar="PVC",
        help=f"a PersistentVolumeClaim for {OUTPUT_DIR} (default: an emptyDir, gone with the pod)",
    )
    parser.add_argument(
        "--output", type=Path, help="write the manifest to this file (default: print it)"
    )
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, help="the command the Job runs (after `--`)"
    )


def image(target: str, registry: str) -> str:
    """The image's lock-hash tag (refusing a missing or stale lock, as docker-build does)."""
    from .container import locked_tag

    tag = locked_tag(target)
    return f"{registry.rstrip('/')}/{tag}" if registry else tag


def container(args: argparse.Namespace, command: list[str], image_name: str) -> dict:
    resources: dict = {
        "requests": {"cpu": args.cpus, "memory": args.mem},
        "limits": {"memory": args.mem},
    }
    if args.target == "gpu":
        resources["limits"]["nvidia.com/gpu"] = args.gpus
    return {
        "name": "job",
        "image": image_name,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", ENTRYPOINT, "job", *command],
        "workingDir": "/app",
        "env": [{"name": "REPRO_RUN_DIR", "value": OUTPUT_DIR}],
        "resources": resources,
        "securityContext": {
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "out", "mountPath": OUTPUT_DIR},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def manifest(args: argparse.Namespace, command: list[str]) -> dict:
    """The Job, as a dict in the shape of batch/v1."""
    image_name = image(args.target, args.registry)
    out = {"persistentVolumeClaim": {"claimName": args.claim}} if args.claim else {"emptyDir": {}}
    labels = {"app.kubernetes.io/name": DISTRIBUTION, "io.repro/variant": args.target}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"generateName": f"{DISTRIBUTION}-{args.target}-", "labels": labels},
        "spec": {
            "backoffLimit": 0,  # a drifted env fails the same way on every retry
            "ttlSecondsAfterFinished": 7 * 24 * 3600,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": UID,
                        "runAsGroup": UID,
                        "fsGroup": UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container(args, command, image_name)],
                    "volumes": [{"name": "out", **out}, {"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def run(args: argparse.Namespace) -> int:
    import yaml  # pyyaml, from the dev lock: this verb runs in the project's env

    command = trailing_words(args.command)
    if not command:
        raise UsageError("k8s-job: no command given; e.g. `k8s-job -- python -m PKG`")
    text = "# kubectl create -f this file\n" + yaml.safe_dump(
        manifest(args, command), sort_keys=False
    )
    if args.output is None:
        print(text, end="")
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"k8s: wrote {args.output}; run it with `kubectl create -f {args.output}`")
    return EXIT_OK
