import { describe, expect, it } from 'vitest';
import { screen } from '@testing-library/vue';
import type { SlaClock } from '@/api/types';
import { useLocaleStore } from '@/stores/locale';
import { renderWithApp } from '@/test/helpers';
import SlaCountdown from './SlaCountdown.vue';

const T0 = Date.parse('2026-05-01T10:00:00Z');
const clock = (over: Partial<SlaClock> = {}): SlaClock => ({
  name: 'first_response',
  state: 'running',
  targetSeconds: 3600,
  dueAt: new Date(T0 + 3600_000).toISOString(),
  warnAt: new Date(T0 + 2880_000).toISOString(),
  remainingSeconds: 3600,
  warned: false,
  breached: false,
  breachedAt: null,
  stoppedAt: null,
  met: null,
  ...over,
});

function show(c: SlaClock, now: number) {
  return renderWithApp(SlaCountdown, { props: { clock: c, readAt: T0, now } });
}

describe('SlaCountdown', () => {
  it('counts down to the due time and is neither amber nor red before the warning point', () => {
    show(clock(), T0 + 10 * 60_000);
    const timer = screen.getByRole('timer', { name: /First response: on track, due in 50 min/ });
    expect(timer.dataset.slaState).toBe('ok');
  });

  it('turns amber once the warning point has passed', () => {
    show(clock(), T0 + 50 * 60_000);
    const timer = screen.getByRole('timer', { name: /First response: at risk, due in 10 min/ });
    expect(timer.dataset.slaState).toBe('warning');
    expect(timer.className).toContain('bg-warning');
  });

  it('turns red at the due time, even before the server reports the breach', () => {
    show(clock({ warned: true }), T0 + 61 * 60_000);
    const timer = screen.getByRole('timer', { name: /First response: breached, overdue by 1 min/ });
    expect(timer.dataset.slaState).toBe('breached');
    expect(timer.className).toContain('bg-error');
  });

  it('stays red with how long ago it breached', () => {
    show(clock({ state: 'breached', breached: true, breachedAt: new Date(T0 + 3600_000).toISOString(), remainingSeconds: -600 }), T0 + 2 * 3600_000);
    expect(screen.getByRole('timer', { name: /breached, overdue by 1 h 0 min/ }).dataset.slaState).toBe('breached');
  });

  it('does not tick while paused (pending ticket) and shows the business time left', () => {
    const c = clock({ state: 'paused', remainingSeconds: 1800, dueAt: null });
    const { rerender } = show(c, T0);
    expect(screen.getByRole('timer', { name: /paused, 30 min left/ }).dataset.slaState).toBe('paused');
    void rerender({ clock: c, readAt: T0, now: T0 + 3 * 3600_000 });
    expect(screen.getAllByRole('timer', { name: /paused, 30 min left/ })).toHaveLength(1);
  });

  it('shows a met clock as met', () => {
    show(clock({ name: 'resolution', state: 'met', met: true, stoppedAt: new Date(T0).toISOString() }), T0 + 5 * 3600_000);
    expect(screen.getByRole('timer', { name: /Resolution: met/ }).dataset.slaState).toBe('met');
  });

  it('speaks Persian with Persian digits', () => {
    useLocaleStore().setLocale('fa');
    show(clock(), T0 + 50 * 60_000);
    expect(screen.getAllByRole('timer', { name: /اولین پاسخ: در خطر، ۱۰ دقیقه مانده/ })).toHaveLength(1);
    useLocaleStore().setLocale('en');
  });
});
