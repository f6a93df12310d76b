/**
 * The emulator answers Application Auto Scaling deletes as AWS does
 * (local/aws/moto_fixes/application_autoscaling.py, fix 11): a scaling policy or a scalable target
 * that is already gone is ObjectNotFoundException, which the provider's
 * delete takes as done, so a destroy that repeats a call still finishes.
 */
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { testEndpoint } from '../../support/data';

const scaling = new ApplicationAutoScalingClient({
  endpoint: testEndpoint(),
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
afterAll(() => scaling.destroy());

// A DynamoDB table's read capacity: moto registers it without the table, where an ECS target needs a service.
const target = () =>
  ({ ServiceNamespace: 'dynamodb', ResourceId: `table/fix-11-${Date.now()}`, ScalableDimension: 'dynamodb:table:ReadCapacityUnits' }) as const;

test('a scaling policy deleted twice: the second delete answers ObjectNotFoundException', async () => {
  const key = target();
  await scaling.send(new RegisterScalableTargetCommand({ ...key, MinCapacity: 1, MaxCapacity: 4 }));
  const policy = { ...key, PolicyName: 'reads' };
  await scaling.send(
    new PutScalingPolicyCommand({
      ...policy,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 70, PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' } },
    }),
  );

  await expect(scaling.send(new DeleteScalingPolicyCommand(policy))).resolves.toBeDefined();
  await expect(scaling.send(new DeleteScalingPolicyCommand(policy))).rejects.toMatchObject({ name: 'ObjectNotFoundException' });
});

test('a scalable target deregistered twice: the second answers ObjectNotFoundException', async () => {
  const key = target();
  await scaling.send(new RegisterScalableTargetCommand({ ...key, MinCapacity: 1, MaxCapacity: 4 }));

  await expect(scaling.send(new DeregisterScalableTargetCommand(key))).resolves.toBeDefined();
  await expect(scaling.send(new DeregisterScalableTargetCommand(key))).rejects.toMatchObject({ name: 'ObjectNotFoundException' });
});
