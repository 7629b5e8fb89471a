let turn = 0;
let advancing = false;

const advance = (): void => {
  turn++;
  advancing = false;
};

/**
 * A number that changes once per turn of the event loop: at the check phase
 * (`setImmediate`) after the first call of a turn. Bytes written within one
 * turn cannot have reached a client yet, however fast it reads: the
 * slow-client rule counts only what is left over from earlier turns. (A turn
 * so defined can span the end of one loop iteration and the start of the
 * next: it errs on the lenient side, by what is written in that time.) One
 * `setImmediate` for the whole process, and only in turns that ask.
 */
export function currentTurn(): number {
  if (!advancing) {
    advancing = true;
    setImmediate(advance);
  }
  return turn;
}
