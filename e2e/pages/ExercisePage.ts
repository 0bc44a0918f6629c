/**
 * Page object for exercises (issue #17): the exercises dialog, the checklist panel (goal states, reasons,
 * hints, progress) and the goal badges on the canvas. Built on EditorPage; web-first assertions, no sleeps.
 */
import { expect, type Locator } from '@playwright/test';
import type { EditorPage } from './EditorPage';

export class ExercisePage {
  constructor(readonly app: EditorPage) {}

  get panel(): Locator {
    return this.app.tid('exercise.panel');
  }
  goal(id: string): Locator {
    return this.app.tid(`goal.${id}`);
  }
  badge(objectId: string): Locator {
    return this.app.tid(`goal-badge.${objectId}`);
  }
  get progress(): Locator {
    return this.app.tid('exercise.progress');
  }

  /** Opens the exercises dialog and starts the exercise whose lab is `lab`; waits until it is up. */
  async start(lab: string): Promise<void> {
    await this.app.tid('toolbar.exercises').click();
    await expect(this.app.tid('dialog.exercises')).toBeVisible();
    await this.app.tid(`exercise.start.${lab}`).click();
    await expect(this.app.tid('toolbar.lab').locator('.nl-lab-key')).toHaveText(lab);
    await expect(this.app.result).toHaveAttribute('data-ok', 'true', { timeout: 45_000 });
    await expect(this.panel).toBeVisible();
  }

  /** Waits until the goal shows `state` (met / fail / pending); probes may take a few seconds. */
  async expectGoal(id: string, state: 'met' | 'fail' | 'pending', reason?: string | RegExp): Promise<void> {
    await expect(this.goal(id)).toHaveAttribute('data-state', state, { timeout: 20_000 });
    if (reason !== undefined) await expect(this.app.tid(`goal.${id}.reason`)).toHaveText(reason);
  }
}
