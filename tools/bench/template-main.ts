/**
 * The same app as ../main.ts, started the way the cdktf project template
 * does it: through ts-node, with the providers imported from their package
 * roots. Only `npm run bench` uses it, as the baseline for the synth figures.
 */
import * as aws from '@cdktf/provider-aws';
import * as docker from '@cdktf/provider-docker';

// The template's code reaches every provider class through these namespaces.
void [aws.provider.AwsProvider, docker.provider.DockerProvider];
require('../../main');
