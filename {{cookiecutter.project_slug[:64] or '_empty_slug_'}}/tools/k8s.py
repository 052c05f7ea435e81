"""`python -m tools k8s-job`: a Kubernetes Job that runs a command in the project's image.

The image is named by its lock hash (docker-build's tag), never `latest`. The container runs
check-env --strict (a drifted image stops the Job), writes the env's report to /out, then the
command, as the image's numeric non-root user on a read-only root filesystem: it writes only
to /out (an emptyDir, or `--claim`'s volume) and /tmp. Apply it with `kubectl create -f`.
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

    add = parser.add_argument
    stage = "the image the Job runs (the Dockerfile stage)"
    add("--target", default="cpu", choices=["cpu", "gpu"] if GPU else ["cpu"], help=stage)
    add("--registry", default="", help="registry path before the image name, e.g. ghcr.io/org")
    add("--cpus", default="2", help="CPUs the Job requests (default: 2)")
    add("--mem", default="4Gi", help="memory it requests and is limited to")
    if GPU:
        add("--gpus", type=int, default=1, help="nvidia.com/gpu limit of the gpu target")
    claim = f"a PersistentVolumeClaim for {OUTPUT_DIR} (default: an emptyDir, gone with the pod)"
    add("--claim", default="", metavar="PVC", help=claim)
    add("--output", type=Path, help="write the manifest to this file (default: print it)")
    add("command", nargs=argparse.REMAINDER, help="the command the Job runs (after `--`)")


def container(args: argparse.Namespace, command: list[str], image_name: str) -> dict:
    limits = {"memory": args.mem, **({"nvidia.com/gpu": args.gpus} if args.target == "gpu" else {})}
    resources = {"requests": {"cpu": args.cpus, "memory": args.mem}, "limits": limits}
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
    from .container import locked_tag  # refuses a missing or stale lock, as docker-build does

    tag = locked_tag(args.target)
    image_name = f"{args.registry.rstrip('/')}/{tag}" if args.registry else tag
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
    manifest_yaml = yaml.safe_dump(manifest(args, command), sort_keys=False)
    text = "# kubectl create -f this file\n" + manifest_yaml
    if args.output is None:
        print(text, end="")
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"k8s: wrote {args.output}; run it with `kubectl create -f {args.output}`")
    return EXIT_OK
