import {
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
  type TextareaHTMLAttributes,
  useState,
} from 'react'
import { Link } from 'react-router'
import type { Described } from '../lib/problems'
import { Alert } from './ui'

/**
 * The state of a form that checks its fields, then sends: busy while sending, and either the fields to
 * fix (under `title`) or the failure of the last send.
 */
export function useSubmit(title = 'Please check the form') {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const [invalid, setInvalid] = useState<Described>()

  /** Shows `problems` when there are any; otherwise runs `send`, busy meanwhile, and shows its failure. */
  async function run(problems: string[], send: () => Promise<void>) {
    setError(undefined)
    if (problems.length > 0) {
      setInvalid({ title, detail: 'Some fields need a fix.', fields: problems, tone: 'error' })
      return
    }
    setInvalid(undefined)
    setBusy(true)
    try {
      await send()
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return { busy, error, invalid, run }
}

/** A card form that shows, above its fields, what to fix or why the last send failed (see `useSubmit`). */
export function Form({
  state,
  onSubmit,
  children,
}: {
  state: { error: unknown; invalid?: Described }
  onSubmit: (event: FormEvent) => void
  children: ReactNode
}) {
  return (
    <form className="card form" onSubmit={onSubmit}>
      {state.invalid && <Alert described={state.invalid} />}
      {state.error !== undefined && <Alert error={state.error} />}
      {children}
    </form>
  )
}

interface FieldLabel {
  id: string
  label: ReactNode
  /** Marks the field optional after its label. */
  optional?: boolean
  /** Words read before the label but not shown, such as which row of a list the field is in. */
  hiddenPrefix?: string
  /** Modifiers of the field's box, such as `field--grow`. */
  className?: string
  labelClassName?: string
}

/** A labelled form control: `children` is the control, whose id is `id`. */
export function Field({
  id,
  label,
  optional,
  hiddenPrefix,
  className,
  labelClassName,
  children,
}: FieldLabel & { children: ReactNode }) {
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id} className={labelClassName}>
        {hiddenPrefix && <span className="visually-hidden">{hiddenPrefix}</span>}
        {label}
        {optional && (
          <>
            {' '}
            <span className="optional">optional</span>
          </>
        )}
      </label>
      {children}
    </div>
  )
}

type Control<Attributes> = FieldLabel &
  Omit<Attributes, 'id' | 'className' | 'onChange'> & { onValue: (value: string) => void }

/** Parts the props of a labelled control into those of its `Field` and those of the control itself. */
function fieldOf<Props extends FieldLabel>(props: Props) {
  const { id, label, optional, hiddenPrefix, className, labelClassName, ...control } = props
  return { field: { id, label, optional, hiddenPrefix, className, labelClassName }, control }
}

/** A labelled text input; `children` follow the input (a hint, say). */
export function InputField({
  onValue,
  children,
  ...props
}: Control<InputHTMLAttributes<HTMLInputElement>> & { children?: ReactNode }) {
  const { field, control } = fieldOf(props)
  return (
    <Field {...field}>
      <input id={field.id} {...control} onChange={(e) => onValue(e.target.value)} />
      {children}
    </Field>
  )
}

/** A labelled text area. */
export function TextAreaField({ onValue, ...props }: Control<TextareaHTMLAttributes<HTMLTextAreaElement>>) {
  const { field, control } = fieldOf(props)
  return (
    <Field {...field}>
      <textarea id={field.id} {...control} onChange={(e) => onValue(e.target.value)} />
    </Field>
  )
}

/** The primary submit button: disabled while busy, and saying so. */
export function SubmitButton({
  busy,
  busyLabel,
  disabled,
  children,
}: {
  busy: boolean
  busyLabel: string
  disabled?: boolean
  children: ReactNode
}) {
  return (
    <button type="submit" className="button button--primary" disabled={busy || disabled}>
      {busy ? busyLabel : children}
    </button>
  )
}

/** The end of a form: its submit button and a way back without saving. */
export function FormActions({ cancelTo, children }: { cancelTo: string; children: ReactNode }) {
  return (
    <div className="form__actions">
      {children}
      <Link className="button button--ghost" to={cancelTo}>
        Cancel
      </Link>
    </div>
  )
}

/** Takes one row out of a list of rows in a form. */
export function RemoveButton({
  label,
  disabled,
  onClick,
}: {
  label: string
  disabled?: boolean
  onClick: () => void
}) {
  return (
    <button
      type="button"
      className="button button--ghost"
      aria-label={label}
      disabled={disabled}
      onClick={onClick}
    >
      Remove
    </button>
  )
}

/** Adds one more row to a list of rows in a form. */
export function AddButton({
  disabled,
  onClick,
  children,
}: {
  disabled?: boolean
  onClick: () => void
  children: ReactNode
}) {
  return (
    <button type="button" className="button button--secondary" disabled={disabled} onClick={onClick}>
      {children}
    </button>
  )
}

/** The rows of a repeatable part of a form, each with a `key` of its own. */
export function useRows<Row extends { key: number }>(initial: Row[]) {
  const [rows, setRows] = useState(initial)
  return {
    rows,
    add: (row: Row) => setRows((current) => [...current, row]),
    update: (key: number, change: Partial<Row>) =>
      setRows((current) => current.map((r) => (r.key === key ? { ...r, ...change } : r))),
    remove: (key: number) => setRows((current) => current.filter((r) => r.key !== key)),
  }
}
