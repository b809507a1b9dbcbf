"""Runs a component: arguments, socket claim, serving with reflection, clean stop.

Every sample takes the same arguments as the C++ sample, plus --stubs:
  --socket PATH  listen on PATH (default: <folder>/<name>.sock, see sockets.py)
  --name NAME    the socket's stem, which hosts use as the component type
  --stubs DIR    the generated Python modules (see stubs.py)
Bad arguments exit 2, a socket that cannot be claimed exits 1, SIGINT/SIGTERM exit 0 after
removing the socket and its lock file.
"""

import argparse
import asyncio
import signal
import sys

import grpc

from plughost_component import reflection, sockets, stubs

# In-flight calls get this long to finish after SIGINT/SIGTERM; calls here are short, and a
# longer grace would only slow every stop down.
SHUTDOWN_GRACE_SECONDS = 0.5


def parse_args(default_name, description, argv=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--socket", metavar="PATH",
                        help="listen on PATH (default: <folder>/<name>.sock, the folder from "
                             "PLUGHOST_SOCKETS_DIR, DAPR_COMPONENTS_SOCKETS_FOLDER, "
                             "DAPR_COMPONENT_SOCKETS_FOLDER or "
                             f"{sockets.DEFAULT_FOLDER})")
    parser.add_argument("--name", default=default_name,
                        help=f"component name, the socket file's stem (default: {default_name})")
    parser.add_argument("--stubs", metavar="DIR",
                        help=f"generated Python modules (default: ${stubs.ENV_VARIABLE}, else "
                             f"{stubs.DEFAULT_DIR})")
    options = parser.parse_args(argv)
    if not options.name or "/" in options.name:
        parser.error("--name must be non-empty and must not contain '/'")
    if options.socket is not None and not options.socket:
        parser.error("--socket must not be empty")
    return options


def log(prefix, message):
    sys.stderr.write(f"{prefix}: {message}\n")
    sys.stderr.flush()


async def _serve(options, prefix, register, on_stop):
    socket_path = options.socket or sockets.default_socket_path(options.name)
    try:
        guard = sockets.SocketGuard.claim(socket_path)
    except sockets.ClaimError as error:
        log(prefix, str(error))
        return 1
    server = None
    try:
        server = grpc.aio.server()
        services = reflection.add_reflection(server, register(server))
        try:
            bound = server.add_insecure_port("unix:" + socket_path)
        except RuntimeError:
            bound = 0
        if not bound:
            log(prefix, f"cannot listen on {socket_path}")
            return 1
        await server.start()
        guard.mark_bound()
        stop = asyncio.Event()
        received = []
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, lambda n=number: (received.append(n), stop.set()))
        # Only now: whoever waits for this line may signal at once, and must meet the handlers.
        log(prefix, f"serving {', '.join(services)} on {socket_path}")
        await stop.wait()
        log(prefix, f"stopping on signal {received[0]}")
        return 0
    except sockets.ClaimError as error:
        log(prefix, str(error))
        return 1
    finally:
        if server is not None:
            await server.stop(SHUTDOWN_GRACE_SECONDS)
        if on_stop is not None:
            await on_stop()
        guard.release()


def run(options, prefix, register, on_stop=None):
    """Serves until SIGINT/SIGTERM. `register(server)` adds the component's servicers and
    returns their full service names; `on_stop()` (async) releases what they hold."""
    return asyncio.run(_serve(options, prefix, register, on_stop))
