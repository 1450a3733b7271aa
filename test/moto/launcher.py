"""Starts moto's server on 127.0.0.1 with the gaps that matter to vpc-failover patched to behave as AWS does.

Usage: python3 launcher.py --record <file>

Prints one JSON line, {"port": N, "moto": "5.x.y"}, once the server listens on a free loopback port,
then serves until stdin closes (the test runner went away) or it is signalled. Exit code 3: moto
cannot be imported here.

Each patch names the AWS behaviour it restores; the product is never bent to the emulator.
"""

import argparse
import fnmatch
import json
import logging
import os
import signal
import sys
import threading

try:
    import moto
    from moto.autoscaling.responses import AutoScalingResponse
    from moto.core.responses import ActionResult, EmptyResult
    from moto.ec2 import utils as ec2_utils
    from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend
    from moto.ec2.models.route_tables import Route
    from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from moto.ssm.models import Command
    from moto.ssm.responses import SimpleSystemManagerResponse
    from werkzeug.serving import make_server
except ImportError as error:  # the test gate reports this as a skip (or a failure in CI)
    print(f"moto cannot be imported by {sys.executable}: {error}", file=sys.stderr)
    sys.exit(3)


def patch_tag_key_filters():
    """A `tag-key` (or `tag-value`) filter with several values matches a resource with ANY of them.

    moto's generic filter treats the resource's tag keys as a set that must be a subset or superset
    of the values, so DescribeRouteTables(tag-key=[NATAZ, failover:overlay]) finds nothing once a
    table carries any other tag. AWS ORs the values (and allows * and ? wildcards).
    """
    original = ec2_utils.is_filter_matching

    def is_filter_matching(obj, _filter, filter_value):
        if _filter in ("tag-key", "tag-value") and hasattr(obj, "get_tags"):
            values = filter_value if isinstance(filter_value, list) else [filter_value]
            field = "key" if _filter == "tag-key" else "value"
            present = [tag[field] for tag in obj.get_tags()]
            return any(fnmatch.fnmatchcase(item, pattern) for item in present for pattern in values)
        return original(obj, _filter, filter_value)

    ec2_utils.is_filter_matching = is_filter_matching


def patch_eni_address_filter():
    """DescribeNetworkInterfaces' `addresses.private-ip-address` filter matches every private IPv4 of
    an ENI, secondary addresses included, and ORs its values.

    moto compares it with the ENI's primary address only, so an ENI holding a VIP as a secondary
    address is never found, and the controller could not see who holds a VIP outside its group.
    """
    original = ec2_utils.is_filter_matching

    def is_filter_matching(obj, _filter, filter_value):
        if _filter == "addresses.private-ip-address" and hasattr(obj, "private_ip_addresses"):
            values = filter_value if isinstance(filter_value, list) else [filter_value]
            present = [obj.private_ip_address] + [item.get("PrivateIpAddress") for item in obj.private_ip_addresses]
            return any(ip and fnmatch.fnmatchcase(ip, pattern) for ip in present for pattern in values)
        return original(obj, _filter, filter_value)

    ec2_utils.is_filter_matching = is_filter_matching


def patch_route_targets():
    """Routes show what AWS shows for an instance target.

    - A route created with InstanceId shows the instance's primary ENI as NetworkInterfaceId, and a
      route to an ENI attached to an instance shows that InstanceId too (moto shows only what was given).
    - A route whose instance is stopped or terminated, or whose ENI is detached or deleted, is a
      `blackhole` (moto reports every route `active`).
    """

    def eni_of(route):
        if route.interface is not None:
            return route.interface
        if route.instance is not None:
            nics = getattr(route.instance, "nics", {}) or {}
            return nics.get(0) or next(iter(nics.values()), None)
        return None

    def instance_of(route):
        if route.instance is not None:
            return route.instance
        return getattr(route.interface, "instance", None) if route.interface is not None else None

    def network_interface_id(self):
        eni = eni_of(self)
        return eni.id if eni is not None else None

    def instance_id(self):
        instance = instance_of(self)
        return instance.id if instance is not None else None

    def state(self):
        if self.interface is None and self.instance is None:
            return "active"
        instance = instance_of(self)
        eni = eni_of(self)
        if eni is not None and eni.id not in self.route_table.ec2_backend.enis:
            return "blackhole"
        if instance is None or instance.state in ("stopped", "terminated"):
            return "blackhole"
        return "active"

    Route.network_interface_id = property(network_interface_id)
    Route.instance_id = property(instance_id)
    Route.state = property(state)


def patch_private_ip_reassignment():
    """AssignPrivateIpAddresses(AllowReassignment=true) moves the address: it leaves the ENI that had it.

    moto ignores AllowReassignment and leaves the address on both ENIs.
    """
    original = NetworkInterfaceBackend.assign_private_ip_addresses

    def assign_private_ip_addresses(self, eni_id, private_ip_addresses=None, secondary_ips_count=None, allow_reassignment=False):
        if allow_reassignment and private_ip_addresses:
            target = self.get_network_interface(eni_id)
            for other in list(self.enis.values()):
                if other.id == eni_id or other.subnet.id != target.subnet.id:
                    continue
                other.private_ip_addresses = [
                    item
                    for item in other.private_ip_addresses
                    if item.get("Primary") or item.get("PrivateIpAddress") not in private_ip_addresses
                ]
        return original(self, eni_id, private_ip_addresses, secondary_ips_count)

    def response(self):
        eni = self.ec2_backend.assign_private_ip_addresses(
            self._get_param("NetworkInterfaceId"),
            self._get_param("PrivateIpAddresses", []),
            self._get_int_param("SecondaryPrivateIpAddressCount", 0),
            allow_reassignment=str(self._get_param("AllowReassignment", False)).lower() == "true",
        )
        assigned = [{"PrivateIpAddress": item["PrivateIpAddress"]} for item in eni.private_ip_addresses if not item.get("Primary")]
        return ActionResult({"NetworkInterfaceId": eni.id, "AssignedPrivateIpAddresses": assigned})

    NetworkInterfaceBackend.assign_private_ip_addresses = assign_private_ip_addresses
    ElasticNetworkInterfaces.assign_private_ip_addresses = response


def patch_address_reassociation():
    """AssociateAddress(AllowReassociation=true) to another ENI takes the Elastic IP off the old one.

    moto leaves the old ENI showing the public IP in DescribeNetworkInterfaces, and shows no InstanceId
    in DescribeAddresses for an ENI that is attached to an instance; AWS does both.
    """
    original = ElasticAddressBackend.associate_address

    def associate_address(self, instance=None, eni=None, address=None, allocation_id=None, reassociate=False):
        before = self.address_by_ip([address])[0] if address else self.address_by_allocation([allocation_id])[0]
        old_eni = before.eni
        eip = original(self, instance=instance, eni=eni, address=address, allocation_id=allocation_id, reassociate=reassociate)
        if old_eni is not None and old_eni is not eip.eni and old_eni.public_ip == eip.public_ip:
            old_eni.public_ip = None
        if eip.instance is None and eip.eni is not None and getattr(eip.eni, "instance", None) is not None:
            eip.instance = eip.eni.instance
        return eip

    ElasticAddressBackend.associate_address = associate_address


def patch_send_command_targets():
    """SendCommand(InstanceIds=[...]) runs on those instances only.

    moto also adds every instance of the region when Targets is empty (an empty EC2 filter matches all).
    """
    original = Command._get_instance_ids_from_targets

    def targets(self):
        return original(self) if self.targets else []

    Command._get_instance_ids_from_targets = targets


def patch_list_command_invocations():
    """ListCommandInvocations exists (moto 5.2 answers 500), listing each invocation with its plugin.

    What it lists is moto's own record of the command: Success, exit code 0, empty output. moto runs
    nothing on any instance; that gap stays (the shell is proven in the namespace suites).
    """

    def list_command_invocations(self):
        command_id = self._get_param("CommandId")
        instance_id = self._get_param("InstanceId")
        details = bool(self._get_param("Details", False))
        invocations = []
        for command in self.ssm_backend.list_commands(command_id, instance_id):
            for invocation in command.invocations:
                if instance_id and invocation["InstanceId"] != instance_id:
                    continue
                item = {
                    "CommandId": command.command_id,
                    "InstanceId": invocation["InstanceId"],
                    "Comment": command.comment,
                    "DocumentName": command.document_name,
                    "RequestedDateTime": command.requested_date_time,
                    "Status": invocation["Status"],
                    "StatusDetails": invocation["StatusDetails"],
                    "StandardOutputUrl": "",
                    "StandardErrorUrl": "",
                }
                if details:
                    item["CommandPlugins"] = [
                        {
                            "Name": invocation["PluginName"],
                            "Status": invocation["Status"],
                            "StatusDetails": invocation["StatusDetails"],
                            "ResponseCode": invocation["ResponseCode"],
                            "ResponseStartDateTime": command.requested_date_time,
                            "ResponseFinishDateTime": command.requested_date_time,
                            "Output": invocation["StandardOutputContent"],
                            "StandardOutputUrl": "",
                            "StandardErrorUrl": "",
                        }
                    ]
                invocations.append(item)
        return ActionResult({"CommandInvocations": invocations})

    SimpleSystemManagerResponse.list_command_invocations = list_command_invocations


def patch_complete_lifecycle_action(record_path):
    """CompleteLifecycleAction answers as AWS does for an action it holds, and records the call.

    moto does not implement it (500). moto keeps no pending lifecycle actions either, so every call is
    accepted; the record (one JSON line per call) is what the test asserts.
    """
    lock = threading.Lock()
    fields = ("AutoScalingGroupName", "LifecycleHookName", "LifecycleActionToken", "InstanceId", "LifecycleActionResult")

    def complete_lifecycle_action(self):
        call = {field: self._get_param(field) for field in fields}
        with lock, open(record_path, "a", encoding="utf-8") as record:
            record.write(json.dumps(call) + "\n")
        return EmptyResult()

    AutoScalingResponse.complete_lifecycle_action = complete_lifecycle_action


def exit_when_stdin_closes():
    """The test runner holds our stdin: when it goes away, so do we."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--record", required=True, help="file that receives one JSON line per CompleteLifecycleAction")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    patch_tag_key_filters()
    patch_eni_address_filter()
    patch_route_targets()
    patch_private_ip_reassignment()
    patch_address_reassociation()
    patch_send_command_targets()
    patch_list_command_invocations()
    patch_complete_lifecycle_action(args.record)

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    os.environ["MOTO_PORT"] = str(server.port)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    print(json.dumps({"port": server.port, "moto": moto.__version__}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
