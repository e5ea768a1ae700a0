"""Every conversion the tests run verifies its IR once, after the pipeline (a user's
conversion skips it; see ``Translator.verify``). Subprocesses inherit the setting."""

import os

os.environ.setdefault("SWC_VERIFY", "final")
