"""moto_server with one fix and one stand-in:
- stacks created or updated through ExecuteChangeSet get their Outputs (moto 5.2.1 builds the
  output map from the empty template of the REVIEW_IN_PROGRESS stack and never rebuilds it);
- SSM Run Command cannot run anything on emulated instances, so every invocation reports the
  output in FINTECH_MOTO_SSM_OUTPUT when that is set (what the instance would have printed)."""
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

_ssm_output = os.environ.get("FINTECH_MOTO_SSM_OUTPUT")
if _ssm_output is not None:
    from moto.ssm.models import Command

    _invocation = Command.get_invocation

    def get_invocation(self, instance_id, plugin_name):
        invocation = _invocation(self, instance_id, plugin_name)
        invocation["StandardOutputContent"] = _ssm_output
        return invocation

    Command.get_invocation = get_invocation

from moto.server import main
sys.exit(main())
