/**
 * Worker-thread entry of data-parallel training (`data-parallel.ts`): builds its own tfjs engine, model
 * replica and loss, then per `step` message copies the shared weights into its variables, differentiates
 * its shard and writes the gradients into its shared slot. Not part of the public API.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '@dfer/backbones';
import { createLoss, createRobustWeighting } from '@dfer/losses';
import { float32TensorFrom, initEngine, withFloat32Views } from '@dfer/runtime';
import { parentPort, workerData } from 'node:worker_threads';
import { auStepGradients, type AuStepLosses } from '../au-detection/au-step';
import { stepGradients, type StepGradients } from '../experiment/step-gradients';
import type { NamedVariable } from '../optim/optimizers';
import type { WorkerInit, WorkerReply, WorkerStep } from './protocol';

const init = workerData as WorkerInit;
const port = parentPort!;

function reply(message: WorkerReply): void {
  port.postMessage(message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

async function main(): Promise<void> {
  await initEngine({ backend: init.backend, log: false });
  if (tf.getBackend() !== init.backend) {
    throw new Error(`backend ${init.backend} asked, ${tf.getBackend()} active`);
  }
  const model = createModel(init.model.type, init.model.options);

  const variables = model.namedParameters();
  if (
    variables.length !== init.variables.length ||
    variables.some(
      ([name, v], i) =>
        name !== init.variables[i]!.name || v.shape.join(',') !== init.variables[i]!.shape.join(','),
    )
  ) {
    throw new Error(
      `the replica of ${init.model.type} does not have the caller's variables (names or shapes differ): the model must be buildable from its config alone`,
    );
  }
  const byName = new Map(variables);
  const params: NamedVariable[] = init.params.map((name) => ({ name, variable: byName.get(name)! }));
  const sizes = params.map((p) => p.variable.size);
  const P = sizes.reduce((a, b) => a + b, 0);
  const slot = init.grads.subarray(init.slot * P, (init.slot + 1) * P);
  const objective = init.objective;
  let gradients: (batch: WorkerStep['batch'], epoch: number | undefined) => StepGradients;
  if (objective.kind === 'expression') {
    const loss = createLoss(objective.loss.config, objective.loss.context);
    const robust = objective.robust ? createRobustWeighting(objective.robust) : undefined;
    gradients = (batch, epoch) =>
      stepGradients(
        model,
        loss,
        params,
        batch,
        robust ? { weighting: robust, epoch: epoch ?? 0 } : undefined,
      );
  } else {
    const losses: AuStepLosses = {
      auLoss: createLoss(objective.auLoss.config, objective.auLoss.context),
      ...(objective.ferLoss
        ? { ferLoss: createLoss(objective.ferLoss.config, objective.ferLoss.context) }
        : {}),
      ferWeight: objective.ferWeight,
      numAus: objective.numAus,
    };
    gradients = (batch) => auStepGradients(model, losses, params, batch);
  }

  port.on('message', (message: WorkerStep) => {
    try {
      let offset = 0;
      for (const [i, [, v]] of variables.entries()) {
        const size = init.variables[i]!.size;
        const values = init.weights.subarray(offset, offset + size);
        offset += size;
        const t =
          v.dtype === 'int32'
            ? tf.tensor(Int32Array.from(values), v.shape, 'int32')
            : float32TensorFrom(v.shape, [], (into) => into.set(values));
        v.assign(t);
        t.dispose();
      }
      const out = gradients(message.batch, message.epoch);
      const present: boolean[] = [];
      let o = 0;
      params.forEach((p, j) => {
        const g = out.grads[p.name];
        present.push(g !== undefined);
        if (g) withFloat32Views([g], ([values]) => slot.set(values!, o));
        else slot.fill(0, o, o + sizes[j]!);
        o += sizes[j]!;
      });
      tf.dispose(Object.values(out.grads));
      reply({
        type: 'done',
        loss: out.loss,
        terms: out.terms,
        present,
        ...(out.agreement ? { agreement: out.agreement.analysis } : {}),
      });
    } catch (error) {
      reply({ type: 'error', message: errorText(error) });
    }
  });
  reply({ type: 'ready' });
}

main().catch((error: unknown) => reply({ type: 'error', message: errorText(error) }));
