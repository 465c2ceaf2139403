# lit configuration: every .mlir file under tests/lit with `// RUN:` lines.
import os
import sys

import lit.formats

config.name = "tflc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.environ.get("TFLC_LIT_OUT", "/tmp/tflc-lit"), "Output")
config.substitutions.append(("%PYTHON", sys.executable))
config.environment["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
for name in ("HOME", "TFLC_CACHE", "PYTHONPATH"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
