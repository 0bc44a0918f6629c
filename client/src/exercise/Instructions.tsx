/** An exercise's instructions as Markdown (lazy: react-markdown renders to React elements; raw HTML is not rendered). */
import Markdown from 'react-markdown';

export default function Instructions({ text }: { text: string }) {
  return (
    <div className="nl-exercise-md" data-testid="exercise.instructions">
      <Markdown>{text}</Markdown>
    </div>
  );
}
