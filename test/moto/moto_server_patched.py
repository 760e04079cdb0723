"""moto_server with one fix and one stand-in:
- stacks created or updated through ExecuteChangeSet get their Outputs (moto 5.2.1 builds the
  output map from the empty template of the REVIEW_IN_PROGRESS stack and never rebuilds it);
- SSM Run Command cannot run anything on emulated instances, so every invocation reports the
  text of the file FINTECH_MOTO_SSM_OUTPUT_FILE names, when that file exists (what the instance
  would have printed). It is read at each call: the test files that share one server in turn
  each set their own.
With FINTECH_MOTO_WATCH_PID set, the server exits once that process (the test runner) is gone,
so a run that dies before its teardown leaves no server behind."""
import os
import sys
from moto.cloudformation.models import CloudFormationBackend

_execute = CloudFormationBackend.execute_change_set

def execute_change_set(self, change_set_name, stack_name=None):
    _execute(self, change_set_name, stack_name)
    change_set = self.change_sets.get(change_set_name) or next(
        cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name)
    stack = self.stacks[change_set.stack_id]
    stack._parse_template()                      # template_dict from the executed template
    stack.description = stack.template_dict.get("Description")
    stack.output_map = stack._create_output_map()
    stack.parameters = change_set.parameters

CloudFormationBackend.execute_change_set = execute_change_set

_ssm_output_file = os.environ.get("FINTECH_MOTO_SSM_OUTPUT_FILE")
if _ssm_output_file:
    from moto.ssm.models import Command

    _invocation = Command.get_invocation

    def get_invocation(self, instance_id, plugin_name):
        invocation = _invocation(self, instance_id, plugin_name)
        try:
            with open(_ssm_output_file, encoding="utf-8") as output:
                invocation["StandardOutputContent"] = output.read()
        except FileNotFoundError:
            pass
        return invocation

    Command.get_invocation = get_invocation

_watch_pid = os.environ.get("FINTECH_MOTO_WATCH_PID")
if _watch_pid:
    import threading
    import time

    def _exit_with_runner():
        while True:
            time.sleep(1)
            try:
                os.kill(int(_watch_pid), 0)
            except ProcessLookupError:
                os._exit(0)

    threading.Thread(target=_exit_with_runner, daemon=True).start()

from moto.server import main
sys.exit(main())
