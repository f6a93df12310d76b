"""EC2 security groups, as moto 5.2.1 gets them wrong (fixes 3 and 10); tested in __tests__/local/aws/moto-fixes.test.ts and security-group-rules.test.ts."""
from .common import already_gone
from moto.ec2.exceptions import InvalidSecurityGroupRuleIdNotFoundError
from moto.ec2.models.security_groups import SecurityGroupBackend
from moto.ec2.models.security_groups import SecurityGroupRule


# Fix 3: DescribeSecurityGroupRules reports the description of CIDR rules
# only; a rule that references another security group loses its description,
# so every plan wants to set it again. AWS returns it for both kinds.
SecurityGroupRule.description = property(
    lambda self: self.ip_range.get("Description") or (self.source_group or {}).get("Description")
)


# Fix 10: revoking a security group rule by an id the group does not have.
# AWS answers InvalidSecurityGroupRuleId.NotFound, which the provider's delete
# takes as "already gone"; moto answers InvalidPermission.NotFound, which fails
# the destroy. A destroy on CI failed so: the provider had repeated the call
# after losing the first answer (fix 12). The emulator answers as AWS does.


def _revoke_by_known_ids(revoke, direction):
    def revoke_rules(self, group_name_or_id, *args, **kwargs):
        rule_ids = kwargs.get("security_rule_ids")
        group = self.get_security_group_by_name_or_id(group_name_or_id, kwargs.get("vpc_id"))
        if rule_ids and group is not None:
            known = {rule.id for rule in getattr(group, f"{direction}_rules")}
            for rule_id in rule_ids:
                if rule_id not in known:
                    already_gone(f"RevokeSecurityGroup{direction.capitalize()} in {group.id}", InvalidSecurityGroupRuleIdNotFoundError(rule_id))
        return revoke(self, group_name_or_id, *args, **kwargs)

    return revoke_rules


SecurityGroupBackend.revoke_security_group_egress = _revoke_by_known_ids(SecurityGroupBackend.revoke_security_group_egress, "egress")
SecurityGroupBackend.revoke_security_group_ingress = _revoke_by_known_ids(SecurityGroupBackend.revoke_security_group_ingress, "ingress")
