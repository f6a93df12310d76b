/**
 * The local load balancer alone, for the benchmark: one listener on PORT
 * forwarding everything to one target (TARGET_PORT), as the local runtime
 * serves a deployed listener.
 */
import { LocalListener } from '../../local/alb/local-listener';
import { TargetGroup } from '../../local/alb/target-group';
import { portSetting } from '../../lib/settings';

const group = new TargetGroup('target');
group.register({ host: '127.0.0.1', port: portSetting('TARGET_PORT', 0) });
const listener = new LocalListener({
  port: portSetting('PORT', 0),
  model: { rules: [], defaultAction: { type: 'forward', targetGroups: [{ id: 'target', weight: 1 }] } },
  targetGroups: () => group,
});
void listener.start().then(() => process.stdout.write('listening\n'));
